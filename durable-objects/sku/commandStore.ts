import { ok } from '../../src/domain/core/result';
import { decide, evolveContext, rowKeys, shortfallAt, type SkuCommand, type SkuContext, type SkuEvent, type SkuState } from '../../src/domain/sku';
import type { Outcome } from '../../src/contract/outcome';
import { appendEvents, saveState } from './eventLog';
import type { Present } from './presenters';
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

/** A command decided against the rows it names: the context before and after, its events, its answer. */
export type Decided<T> = { before: SkuContext; after: SkuContext; events: readonly SkuEvent[]; outcome: Outcome<T> };

/** Loads the command's rows and decides it; nothing is written yet. */
export function decideCommand<T>(sql: SqlStorage, state: SkuState, command: SkuCommand, now: number, present: Present<T>): Decided<T> {
  const before = loadContext(sql, state, command);
  const decision = decide(command, before, now);
  const events = decision.ok ? decision.value : [];
  const after = events.reduce(evolveContext, before);
  return { before, after, events, outcome: decision.ok ? ok(present(after, events)) : decision };
}

/**
 * How much of a decision is written with it. A group commit (`groupCommit.ts`) writes the
 * counters and the outbox rows once for all its commands instead.
 */
export type SaveOptions = { counters: boolean; outbox: boolean };

/** Writes the events `before` turned into `after`. Runs inside the command's transaction. */
export function saveDecision(
  sql: SqlStorage, before: SkuContext, after: SkuContext, events: readonly SkuEvent[], now: number, save: SaveOptions = { counters: true, outbox: true },
): void {
  if (events.length === 0) return;
  // The object's first event names the SKU it serves, for good.
  if (before.state.version === 0) sql.exec("INSERT INTO meta (key, value) VALUES ('sku', ?)", after.state.sku);
  appendEvents(sql, events, now, save.outbox);
  if (after.reservation && after.reservation !== before.reservation) saveReservation(sql, after.reservation);
  after.candidates?.forEach((r, k) => r !== before.candidates?.[k] && saveReservation(sql, r));
  for (const e of events) saveLoanOf(sql, e);
  if (save.counters) saveState(sql, after.state);
}
