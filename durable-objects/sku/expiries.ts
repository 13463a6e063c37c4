import type { SkuEvent, SkuState } from '../../src/domain/sku';
import { decideCommand, saveDecision } from './commandStore';
import { enqueueVersions, saveState } from './eventLog';

/** What committing the alarm's expiries needs of its SKU object. */
export type ExpiryHost = {
  sql: SqlStorage;
  transaction: (work: () => void) => void;
  state: () => SkuState;
  setState: (state: SkuState) => void;
};

/**
 * The holds an alarm run found due, expired in order in one transaction (group commit, ADR 0021):
 * each is decided on the rows the ones before it left, exactly as alone, and an expiry that
 * finds its hold already bought or cancelled writes nothing. The counters row and the outbox rows
 * are written once for the run. Anything thrown undoes the whole run and fails the alarm, which the
 * runtime retries: expiries are idempotent, so the retry decides them again from storage.
 */
export function expireTogether(host: ExpiryHost, reservationIds: readonly string[], now: number): readonly SkuEvent[] {
  const { sql } = host;
  const before = host.state();
  const events: SkuEvent[] = [];
  try {
    host.transaction(() => {
      for (const reservationId of reservationIds) {
        const decided = decideCommand(sql, host.state(), { type: 'ExpireReservation', data: { reservationId } }, now, () => null);
        saveDecision(sql, decided.before, decided.after, decided.events, now, { counters: false, outbox: false });
        events.push(...decided.events);
        host.setState(decided.after.state);
      }
      if (events.length === 0) return;
      saveState(sql, host.state());
      enqueueVersions(sql, events[0]!.version, events.at(-1)!.version, now);
    });
  } catch (error) {
    host.setState(before);
    throw error;
  }
  return events;
}
