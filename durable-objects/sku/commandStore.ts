import { rowKeys, shortfallAt, type SkuCommand, type SkuContext, type SkuEvent, type SkuState } from '../../src/domain/sku';
import { appendEvents, saveState } from './eventLog';
import { loadLoan, saveLoanOf } from './loans';
import { activeUnitsOf, loadReservation, saveReservation } from './reservations';
import { loadCandidates } from './shortfallRows';

/**
 * What one command reads and writes besides its decision: the rows it names, loaded by index
 * before deciding, and everything the decision produced, written afterwards inside the command's
 * transaction (events and their outbox rows, the reservation row, loans, the counters).
 */

/** The SKU this object serves, as its first event recorded it ('' before any). */
export const storedSku = (sql: SqlStorage): string =>
  sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'sku'").toArray()[0]?.value ?? '';

/** The counters, and the rows the command names, loaded by index. */
export function loadContext(sql: SqlStorage, state: SkuState, command: SkuCommand): SkuContext {
  const { reservationId, customerId, transferId } = rowKeys(command);
  const countUnits = customerId !== null && state.limitPerCustomer !== null;
  const short = shortfallAt(state, command);
  return {
    state,
    reservation: reservationId === null ? null : loadReservation(sql, reservationId),
    activeUnits: countUnits ? activeUnitsOf(sql, customerId) : 0,
    loan: transferId === null ? null : loadLoan(sql, transferId),
    ...(short ? { candidates: loadCandidates(sql, short) } : {}),
  };
}

/** Writes the events `before` turned into `after`. Runs inside the command's transaction. */
export function saveDecision(sql: SqlStorage, before: SkuContext, after: SkuContext, events: readonly SkuEvent[], now: number): void {
  if (events.length === 0) return;
  // The object's first event names the SKU it serves, for good.
  if (before.state.version === 0) sql.exec("INSERT INTO meta (key, value) VALUES ('sku', ?)", after.state.sku);
  appendEvents(sql, events, now);
  if (after.reservation && after.reservation !== before.reservation) saveReservation(sql, after.reservation);
  after.candidates?.forEach((r, k) => r !== before.candidates?.[k] && saveReservation(sql, r));
  for (const e of events) saveLoanOf(sql, e);
  saveState(sql, after.state);
}
