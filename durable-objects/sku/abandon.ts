import { err } from '../../src/domain/core/result';
import { misrouted, type ReservationView, type SkuState } from '../../src/domain/sku';
import type { Outcome } from '../../src/contract/outcome';
import { IDEMPOTENCY_RETENTION_MS, replay, saveRecord, type IdempotencyInput } from './idempotency';
import type { AlarmClock } from './alarmClock';

/** What closing a reserve's idempotency scope needs of its SKU object. */
export type AbandonHost = { sql: SqlStorage; state: () => SkuState; transaction: (work: () => void) => void; alarm: AlarmClock };

/**
 * What a reserve under this idempotency scope did, without ever reserving anew: its stored
 * outcome, or, if it never ran here, a stored refusal that closes the scope, so that reserve
 * (still on its way, say) is answered with the refusal instead of holding units nobody releases.
 * A checkout calls it for a line whose reserve may have committed without the answer reaching it.
 */
export async function abandonReserve(host: AbandonHost, customerId: string, idempotency: IdempotencyInput): Promise<Outcome<ReservationView>> {
  const stored = replay<ReservationView>(host.sql, idempotency);
  if (stored) return stored;
  const wrongShard = misrouted(host.state(), customerId);
  if (wrongShard) return err(wrongShard);
  const now = Date.now();
  const outcome: Outcome<ReservationView> = err({ code: 'reservation_abandoned' });
  host.transaction(() => saveRecord(host.sql, idempotency, outcome, now));
  if (!host.alarm.isSet) await host.alarm.moveEarlier(now + IDEMPOTENCY_RETENTION_MS);
  return outcome;
}
