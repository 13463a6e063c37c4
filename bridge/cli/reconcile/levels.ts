import type { Movement, StockLevel } from '../../wms/movements';

/**
 * Stock levels, edge against warehouse, per SKU and location: the edge's `onHand` there should be
 * the warehouse's physical + shipped units. A sale leaves the edge's onHand alone (it counts the
 * units `sold`), and the warehouse's shipment moves them from physical to shipped: so neither a
 * sale nor a shipment opens a difference, only stock the two sides disagree on (a receipt, count
 * or damage one of them missed, or stock typed in by hand).
 */

/** What the edge says of one location of a SKU (`GET /v1/skus/{sku}` `locations`). */
export type EdgeLocation = { location: string; onHand: number; fed: { warehouse: string; sequence: number } | null };
/**
 * A SKU at the edge: its named locations (none for a SKU the edge does not have), or null for one
 * that names no location (its stock is one pool, placed nowhere: nothing to compare per location).
 */
export type EdgeStock = { sku: string; locations: readonly EdgeLocation[] | null };
/** `locations` null: the warehouse serves every location not fed by another one (the one-warehouse setup). */
export type Warehouse = { id: string; locations: readonly string[] | null };
/** The warehouse document that last changed a location's stock of a SKU (a receipt, count or damage). */
export type LastDocument = { document: string; sequence: number };

export type LevelsInput = {
  warehouse: Warehouse;
  edge: readonly EdgeStock[];
  levels: readonly StockLevel[];
  /** The warehouse's movements, in order (ListMovements), read before and after `levels`. */
  movements: readonly Movement[];
  /** The last sequence read before `levels`: a pair moved after it may be counted in `levels` or not. */
  readBefore: number;
};

/**
 * - `differs`: settled; `--repair` posts `difference` as an adjustment at the edge.
 * - `in_flight`: the location's feed and the warehouse's log are at different documents (the feed
 *   has not applied the latest one yet, or applied one posted after the levels were read), or the
 *   location moved while it was read: it closes by itself; not repaired, not counted.
 */
export type LevelKind = 'differs' | 'in_flight';

export type LevelDifference = {
  kind: LevelKind;
  sku: string;
  location: string;
  warehouse: string;
  /** The edge's onHand at the location (0 where it has none). */
  edge: number;
  /** The warehouse's physical + shipped units. */
  wms: number;
  physical: number;
  shipped: number;
  /** wms - edge: what an adjustment at the edge adds to agree. */
  difference: number;
  document: LastDocument | null;
  fed: EdgeLocation['fed'];
};

export type LevelComparison = {
  warehouse: string;
  /** SKUs compared location by location. */
  skus: string[];
  /** SKUs the edge holds without naming a location: not compared. */
  unlocated: string[];
  /** (SKU, location) pairs compared. */
  compared: number;
  units: { edge: number; wms: number };
  differences: LevelDifference[];
};

const STOCK_CHANGING = new Set<Movement['type']>(['receipt', 'count', 'damage']);
const pair = (sku: string, location: string) => `${sku}\u0000${location}`;

/** The last stock-changing document per (SKU, location): shipments move units from physical to shipped, which changes no level compared here. */
export function lastDocuments(movements: readonly Movement[]): Map<string, LastDocument> {
  const last = new Map<string, LastDocument>();
  for (const m of movements) {
    if (!STOCK_CHANGING.has(m.type)) continue;
    const key = pair(m.sku, m.location);
    if ((last.get(key)?.sequence ?? 0) < m.sequence) last.set(key, { document: m.document, sequence: m.sequence });
  }
  return last;
}

/** Whether this warehouse answers for the location: configured there, and not fed by another warehouse. */
const serves = (warehouse: Warehouse, location: string, fed: EdgeLocation['fed']) =>
  (warehouse.locations === null || warehouse.locations.includes(location)) && (fed === null || fed.warehouse === warehouse.id);

export function compareLevels({ warehouse, edge, levels, movements, readBefore }: LevelsInput): LevelComparison {
  const documents = lastDocuments(movements);
  const atWarehouse = new Map(levels.map((l) => [pair(l.sku, l.location), l]));
  const skus: string[] = [];
  const unlocated: string[] = [];
  const differences: LevelDifference[] = [];
  const units = { edge: 0, wms: 0 };
  let compared = 0;

  for (const { sku, locations } of [...edge].sort((a, b) => a.sku.localeCompare(b.sku))) {
    if (locations === null) {
      unlocated.push(sku);
      continue;
    }
    skus.push(sku);
    const atEdge = new Map(locations.map((l) => [l.location, l]));
    const names = new Set([...locations.map((l) => l.location), ...levels.filter((l) => l.sku === sku).map((l) => l.location)]);
    for (const location of [...names].sort()) {
      const e = atEdge.get(location);
      const fed = e?.fed ?? null;
      if (!serves(warehouse, location, fed)) continue;
      compared++;
      const level = atWarehouse.get(pair(sku, location));
      const [physical, shipped] = [level?.physical ?? 0, level?.shipped ?? 0];
      const [onEdge, onWms] = [e?.onHand ?? 0, physical + shipped];
      units.edge += onEdge;
      units.wms += onWms;
      if (onEdge === onWms) continue;
      const document = documents.get(pair(sku, location)) ?? null;
      // The feed has not applied the warehouse's latest document, or applied one read after the
      // levels; or the location moved while they were read: either side may not count it yet.
      const feedApart = fed !== null && fed.sequence !== (document?.sequence ?? 0);
      const moving = document !== null && document.sequence > readBefore;
      const kind: LevelKind = feedApart || moving ? 'in_flight' : 'differs';
      differences.push({ kind, sku, location, warehouse: warehouse.id, edge: onEdge, wms: onWms, physical, shipped, difference: onWms - onEdge, document, fed });
    }
  }
  return { warehouse: warehouse.id, skus, unlocated, compared, units, differences };
}
