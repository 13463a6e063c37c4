import type { Movement, StockLevel } from '../bridge/wms/movements';
import { allMovements, postMovement, setPhysical, stockLevels, unfed } from '../test/e2e/support/fedStock';
import type { Check, Folded } from './checkTypes';
import type { Ledger } from './execute';
import { feedCountedOnce, levelsAgree, locationsNeverOversold, resourcingsNamed } from './locationChecks';
import type { Schedule } from './schedule';
import { pause, TORTURE_ADMIN_KEY, TORTURE_STOREFRONT_KEY, type TortureSystem } from './system';
import { SOAP_WAREHOUSE } from './warehouses';

/**
 * The torture run's SKUs stocked by the warehouses: set up at their sites (one SOAP, one SAP),
 * their documents followed to the edge, and checked once the run has settled (the checks
 * themselves: locationChecks.ts).
 */

const fedSkus = (schedule: Schedule) => schedule.skus.filter((s) => s.fed);

/** How long the opening receipts may take to reach the edge (the bridge's feed, polling a faulty warehouse). */
const OPENING_FED_WITHIN_MS = 120_000;

/**
 * Each fed SKU's sites named at the edge (region, priority; no units), an opening balance of zero
 * at the warehouse (it would start an unstocked SKU at a million), then a goods receipt at each
 * site; the run starts once the edge has counted them.
 */
export async function createFedSkus(system: TortureSystem, schedule: Schedule): Promise<void> {
  for (const { sku, fed } of fedSkus(schedule)) {
    for (const { location, region, priority } of fed!) {
      const res = await fetch(`${system.edgeUrl}/v1/admin/skus/${sku}/stock`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TORTURE_ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ onHand: 0, location, region, priority }),
      });
      if (res.status !== 200) throw new Error(`${sku} at ${location}: ${res.status} ${await res.text()}`);
      // The SAP simulator starts unstocked SKUs empty; the SOAP one is told (its default site serves the unfed SKUs).
      const site = system.warehouses.at(location);
      if (site.warehouse === SOAP_WAREHOUSE) await setPhysical(site.url, site.adminKey, location, sku, 0);
    }
  }
  for (const { sku, fed } of fedSkus(schedule)) {
    for (const { location, opening } of fed!) {
      const site = system.warehouses.at(location);
      await postMovement(site.url, site.adminKey, { type: 'receipt', document: `${schedule.seed}-open-${sku}-${location}`, location, sku, qty: opening });
    }
  }
  const deadline = Date.now() + OPENING_FED_WITHIN_MS;
  for (const { sku, fed } of fedSkus(schedule)) {
    for (;;) {
      const res = await fetch(`${system.edgeUrl}/v1/skus/${sku}?consistent=true`, { headers: { authorization: `Bearer ${TORTURE_STOREFRONT_KEY}` } });
      const locations = res.ok ? (((await res.json()) as { locations?: { location: string; onHand: number }[] }).locations ?? []) : [];
      if (fed!.every((site) => locations.find((l) => l.location === site.location)?.onHand === site.opening)) break;
      if (Date.now() > deadline) throw new Error(`${sku}: the opening receipts not at the edge ${OPENING_FED_WITHIN_MS / 1000} s after they were posted (${JSON.stringify(locations)})`);
      await pause(500);
    }
  }
}

/** What each warehouse recorded (by warehouse) and what both hold, read despite their faults. */
async function warehouseSide(system: TortureSystem, schedule: Schedule): Promise<{ movements: Map<string, Movement[]>; levels: StockLevel[] }> {
  const skus = new Set(fedSkus(schedule).map((s) => s.sku));
  const movements = new Map<string, Movement[]>();
  const levels: StockLevel[] = [];
  for (const site of system.warehouses.all) {
    const wms = await site.client();
    movements.set(site.warehouse, await allMovements(wms));
    levels.push(...(await stockLevels(wms)).filter((l) => skus.has(l.sku)));
  }
  return { movements, levels };
}

const fedOnly = (schedule: Schedule, folded: Folded[]) => folded.filter((f) => schedule.skus.find((s) => s.sku === f.sku)?.fed);

const withoutEvents = ({ check, checked, violations }: Check): Check => ({ check, checked, violations });

/** What is still open for the fed SKUs: documents not yet at the edge, levels that differ (a saga still moving an allocation). */
export async function fedOpen(system: TortureSystem, schedule: Schedule, folded: Folded[]): Promise<number> {
  const fed = fedOnly(schedule, folded);
  if (fed.length === 0) return 0;
  const { movements, levels } = await warehouseSide(system, schedule);
  return unfed([...movements.values()].flat(), new Map(fed.map((f) => [f.sku, f.log]))).length + levelsAgree(fed, levels).violations.length;
}

/**
 * The checks of stock per location and of the feed: never oversold per location (every SKU; those
 * without locations at their one implicit site), re-sourcings never silent, each document counted
 * once however often it was posted or delivered, the edge's levels the warehouse's.
 */
export async function fedChecks(system: TortureSystem, schedule: Schedule, folded: Folded[], ledger: Ledger): Promise<Check[]> {
  const fed = fedOnly(schedule, folded);
  const { movements, levels } = await warehouseSide(system, schedule);
  const again = schedule.ops.filter((op, i) => (op.kind === 'repost' || op.kind === 'redeliver') && ledger.answers[i] !== null).length;
  return [
    locationsNeverOversold(folded),
    withoutEvents(resourcingsNamed(folded)),
    ...[...movements].map(([warehouse, recorded]) => feedCountedOnce(fed, warehouse, recorded)),
    { check: 'a document posted twice or delivered twice counts once', checked: again, violations: ledger.violations.filter((v) => v.startsWith('feed')) },
    levelsAgree(fed, levels),
  ];
}
