import type { Movement, StockLevel } from '../bridge/wms/movements';
import { emptyLedger, evolve, initialSkuState, locationsOf, record, type LocationStock, type Reservation, type SkuEvent, type SkuEventOf, type SkuState } from '../src/domain/sku';
import type { Check } from './checkTypes';

/**
 * Checks of stock per location fed by a warehouse (issue 22), pure: they read SKU logs, the
 * warehouse's movements and its stock levels, and say what is wrong. Shared by the fed-stock e2e
 * spec and the torture run; each is fed a defect's leftovers in test/unit/torture/locationChecks.spec.ts.
 */

/** A SKU's whole log, in version order. */
export type Logged = { sku: string; log: readonly SkuEvent[] };

type Shortfall = SkuEventOf<'StockShortfall'>;
/** A shortfall decision: the events from `start` to `end` (indexes in the log, inclusive). */
type Window = { start: number; end: number; shortfall: Shortfall; moveFirst: boolean };

const deficit = (l: LocationStock): number => Math.max(0, l.reserved + l.sold - l.onHand);
const byLocation = (state: SkuState): Map<string, LocationStock> => new Map(locationsOf(state).map((l) => [l.location, l]));
const sameMove = (e: SkuEvent | undefined, location: string): e is SkuEventOf<'StockMoved'> => e?.type === 'StockMoved' && e.data.location === location;

/**
 * The decisions in which a location's stock fell below what it had committed: the StockShortfall,
 * the StockMoved that caused it (right before or right after it), and the re-sourcings and
 * releases for stock_shortfall that follow. Inside one, the location may be short; after it, by
 * no more than the units it declared unresolved.
 */
export function shortfallWindows(log: readonly SkuEvent[]): Window[] {
  const windows: Window[] = [];
  log.forEach((event, i) => {
    if (event.type !== 'StockShortfall') return;
    const { location } = event.data;
    const moveFirst = sameMove(log[i - 1], location);
    let end = i;
    for (;;) {
      const next = log[end + 1];
      const belongs =
        (next?.type === 'ReservationResourced' && next.data.reason === 'stock_shortfall' && next.data.from === location) ||
        (next?.type === 'StockReleased' && next.data.reason === 'stock_shortfall') ||
        (!moveFirst && end === i && sameMove(next, location));
      if (!belongs) break;
      end++;
    }
    windows.push({ start: moveFirst ? i - 1 : i, end, shortfall: event, moveFirst });
  });
  return windows;
}

/**
 * Invariant never-oversell-a-location, at every version of every SKU: reserved + sold ≤ onHand
 * per location and in total, no counter negative. The one exception is a shortfall decision
 * (stock the warehouse took away): inside it the location may be short; when it ends the shortage
 * is at most the units it declared `unresolved`, and that excuse only shrinks until stock comes
 * back. The counters folded from the events alone (as consumers do) equal those folded with the
 * reservations' rows (as the object does), location by location: an event after a re-sourcing
 * that names the old location is caught here. A shortfall's `short` is the shortage the move made.
 */
export function locationsNeverOversold(skus: readonly Logged[]): Check {
  const violations: string[] = [];
  let checked = 0;
  for (const { sku, log } of skus) {
    const windows = shortfallWindows(log);
    const windowAt = new Map<number, Window>();
    for (const w of windows) for (let i = w.start; i <= w.end; i++) windowAt.set(i, w);
    let state = initialSkuState();
    const ledger = emptyLedger();
    const excused = new Map<string, number>();
    log.forEach((event, i) => {
      state = evolve(state, event);
      record(ledger, event);
      checked++;
      const at = `${sku} v${event.version}`;
      if (event.version !== i + 1) violations.push(`${at}: at index ${i} (versions are not 1..n)`);
      const counters = byLocation(state);
      const rows = byLocation(ledger.state);
      for (const [location, l] of counters) {
        const r = rows.get(location);
        if (!r || r.onHand !== l.onHand || r.reserved !== l.reserved || r.sold !== l.sold) {
          violations.push(`${at} ${location}: counters from the events ${show(l)}, from the reservations ${r ? show(r) : 'none'}`);
        }
        if (l.reserved < 0 || l.sold < 0) violations.push(`${at} ${location}: negative counters ${show(l)}`);
      }
      const window = windowAt.get(i);
      if (window?.moveFirst && i === window.start) {
        const short = deficit(counters.get(window.shortfall.data.location)!);
        if (short !== window.shortfall.data.short) violations.push(`${at} ${window.shortfall.data.location}: the move left it short by ${short}, its StockShortfall says ${window.shortfall.data.short}`);
      }
      const inside = window !== undefined && i < window.end;
      if (window && i === window.end) excused.set(window.shortfall.data.location, window.shortfall.data.unresolved);
      for (const [location, l] of counters) {
        if (inside && location === window.shortfall.data.location) continue;
        const allowed = excused.get(location) ?? 0;
        const short = deficit(l);
        if (short > allowed) violations.push(`${at} ${location}: reserved ${l.reserved} + sold ${l.sold} > onHand ${l.onHand}${allowed ? ` (beyond the ${allowed} unresolved units it declared)` : ''}`);
        if (allowed > 0) excused.set(location, Math.min(allowed, short));
      }
      if (!inside) {
        // The SKU may be short by what its locations still declare unresolved, no more: another
        // location's later units are sold to new buyers, not held back for one that is short.
        const allowed = [...excused.values()].reduce((a, b) => a + b, 0);
        const short = Math.max(0, state.reserved + state.sold - state.onHand);
        if (short > allowed) violations.push(`${at}: in total reserved ${state.reserved} + sold ${state.sold} > onHand ${state.onHand}${allowed ? ` (beyond the ${allowed} unresolved units its locations declare)` : ''}`);
      }
    });
  }
  return { check: 'per location: reserved + sold ≤ onHand at every version (a shortfall only as declared)', checked, violations };
}

const show = (l: Pick<LocationStock, 'onHand' | 'reserved' | 'sold'>) => `onHand ${l.onHand} reserved ${l.reserved} sold ${l.sold}`;

/**
 * Never silently: every re-sourcing for stock_shortfall and every release for it belongs to a
 * shortfall decision, whose location is `from`; a failover (wms_rejected, wms_timeout: issue 23)
 * goes to a location the reservation never was at (the saga tried those). Each names two
 * different locations of which `from` is where the reservation's units were, and moves all its
 * units in the state they were in (held or sold). Answers the re-sourcings seen, for a spec to
 * show they happened.
 */
export function resourcingsNamed(skus: readonly Logged[]): Check & { resourced: SkuEventOf<'ReservationResourced'>[] } {
  const violations: string[] = [];
  const resourced: SkuEventOf<'ReservationResourced'>[] = [];
  let checked = 0;
  for (const { sku, log } of skus) {
    const windows = shortfallWindows(log);
    const windowOf = (i: number) => windows.find((w) => w.start <= i && i <= w.end);
    const reservations = new Map<string, Reservation>();
    /** Every location each reservation's units were at: a failover never goes back to one. */
    const visited = new Map<string, Set<string>>();
    const ledger = emptyLedger();
    log.forEach((event, i) => {
      const at = `${sku} v${event.version}`;
      if (event.type === 'ReservationResourced') {
        checked++;
        resourced.push(event);
        const { reservationId, from, to, qty, completed, reason } = event.data;
        const before = reservations.get(reservationId);
        const window = windowOf(i);
        if (reason !== 'stock_shortfall') {
          if (visited.get(reservationId)?.has(to)) violations.push(`${at}: ${reservationId} failed over for ${reason} back to ${to}, where it was already`);
        } else if (!window) violations.push(`${at}: ${reservationId} re-sourced ${from} → ${to} outside any shortfall decision`);
        else if (window.shortfall.data.location !== from) violations.push(`${at}: ${reservationId} re-sourced from ${from}, the shortfall was at ${window.shortfall.data.location}`);
        if (from === to) violations.push(`${at}: ${reservationId} re-sourced from ${from} to itself`);
        if (!locationsOf(ledger.state).some((l) => l.location === to)) violations.push(`${at}: ${reservationId} re-sourced to ${to}, not a location of ${sku}`);
        if (!before) violations.push(`${at}: ${reservationId} re-sourced, never reserved`);
        else {
          if (before.location !== from) violations.push(`${at}: ${reservationId} re-sourced from ${from}, its units were at ${before.location}`);
          if (before.qty !== qty) violations.push(`${at}: ${reservationId} re-sourced ${qty} of its ${before.qty} units`);
          if (before.status === 'released' || completed !== (before.status === 'completed')) violations.push(`${at}: ${reservationId} re-sourced as ${completed ? 'sold' : 'held'}, it was ${before.status}`);
        }
      }
      if (event.type === 'StockReleased' && event.data.reason === 'stock_shortfall') {
        checked++;
        const window = windowOf(i);
        const where = reservations.get(event.data.reservationId)?.location;
        if (!window) violations.push(`${at}: ${event.data.reservationId} released for stock_shortfall outside any shortfall decision`);
        else if (where !== window.shortfall.data.location) violations.push(`${at}: ${event.data.reservationId} released for a shortfall at ${window.shortfall.data.location}, its units were at ${where}`);
      }
      record(ledger, event);
      if ('reservationId' in event.data) {
        const r = ledger.reservations.get(event.data.reservationId);
        if (r) reservations.set(r.reservationId, r);
        if (r?.location) visited.set(r.reservationId, (visited.get(r.reservationId) ?? new Set()).add(r.location));
      }
    });
  }
  return { check: 'every re-sourcing and shortfall release in a shortfall decision, naming both locations', checked, violations, resourced };
}

/** The movements that change stock on the shelves (a shipment's units were sold at the edge already). */
export const fedMovements = (movements: readonly Movement[]): Movement[] => movements.filter((m) => m.type !== 'shipment');

/**
 * Each warehouse document counted once: every receipt, count and damage the warehouse recorded
 * is in its SKU's log as exactly one StockMoved citing it (warehouse, document, sequence, kind),
 * at its location and with its delta; no StockMoved cites a document the warehouse never
 * recorded, and no shipment reached the edge. `warehouse`: the id the bridge feeds it as.
 */
export function feedCountedOnce(skus: readonly Logged[], warehouse: string, movements: readonly Movement[]): Check {
  const violations: string[] = [];
  const cited = new Map<string, { sku: string; event: SkuEventOf<'StockMoved'> }[]>();
  for (const { sku, log } of skus) {
    for (const event of log) {
      if (event.type !== 'StockMoved' || event.data.cause.kind !== 'warehouse' || event.data.cause.warehouse !== warehouse) continue;
      const list = cited.get(event.data.cause.document) ?? [];
      list.push({ sku, event });
      cited.set(event.data.cause.document, list);
    }
  }
  const known = new Set(skus.map((s) => s.sku));
  let checked = 0;
  for (const m of movements) {
    const found = cited.get(m.document) ?? [];
    cited.delete(m.document);
    if (m.type === 'shipment') {
      if (found.length > 0) violations.push(`shipment ${m.document} (#${m.sequence}) reached the edge`);
      continue;
    }
    if (!known.has(m.sku)) continue;
    checked++;
    const what = `${m.type} ${m.document} (#${m.sequence}, ${m.location} ${m.sku} ${signed(m.delta)})`;
    if (found.length !== 1) {
      violations.push(`${what}: counted ${found.length} times${found.length ? ` (${found.map(({ sku, event }) => `${sku} v${event.version}`).join(', ')})` : ''}`);
      continue;
    }
    const { sku, event } = found[0]!;
    const cause = event.data.cause as Extract<SkuEvent['data'], { cause: unknown }>['cause'] & { kind: 'warehouse' };
    if (sku !== m.sku || event.data.location !== m.location || event.data.delta !== m.delta || cause.sequence !== m.sequence || cause.movement !== m.type) {
      violations.push(`${what}: logged as ${sku} v${event.version} ${event.data.location} ${signed(event.data.delta)}, sequence ${cause.sequence}, ${cause.movement}`);
    }
  }
  for (const [document, found] of cited) violations.push(`${found.map(({ sku, event }) => `${sku} v${event.version}`).join(', ')}: cites ${document}, which ${warehouse} never recorded`);
  return { check: `each ${warehouse} document counted once at the edge`, checked, violations };
}

const signed = (n: number) => (n < 0 ? String(n) : `+${n}`);

/**
 * Every unit accounted for, once settled, per (location, SKU) the warehouse serves: the edge's
 * on-hand units are the warehouse's physical stock plus what it shipped (the edge sold those),
 * and the units the warehouse holds allocated are those of the reservations the edge counts
 * allocated there (held or sold, not released). Locations the warehouse does not serve are not
 * its business.
 */
export function levelsAgree(skus: readonly Logged[], levels: readonly StockLevel[]): Check {
  const violations: string[] = [];
  const served = new Set(levels.map((l) => l.location));
  let checked = 0;
  for (const { sku, log } of skus) {
    const ledger = emptyLedger();
    for (const event of log) record(ledger, event);
    const allocated = new Map<string, number>();
    for (const r of ledger.reservations.values()) {
      if (r.status !== 'released' && r.allocation === 'allocated' && r.location !== null) allocated.set(r.location, (allocated.get(r.location) ?? 0) + r.qty);
    }
    const places = new Set([...locationsOf(ledger.state).map((l) => l.location), ...levels.filter((l) => l.sku === sku).map((l) => l.location)]);
    for (const location of [...places].filter((p) => served.has(p)).sort()) {
      checked++;
      const edge = locationsOf(ledger.state).find((l) => l.location === location);
      const level = levels.find((l) => l.sku === sku && l.location === location) ?? { physical: 0, allocated: 0, shipped: 0 };
      const onHand = edge?.onHand ?? 0;
      if (onHand !== level.physical + level.shipped) violations.push(`${sku} at ${location}: edge onHand ${onHand}, warehouse physical ${level.physical} + shipped ${level.shipped}`);
      const units = allocated.get(location) ?? 0;
      if (units !== level.allocated + level.shipped) violations.push(`${sku} at ${location}: edge allocated ${units} units, warehouse allocated ${level.allocated} + shipped ${level.shipped}`);
    }
  }
  return { check: 'every unit accounted for: edge per location = warehouse levels (on hand, allocated)', checked, violations };
}
