import { MAX_RELAY_BATCH } from '../../src/contract/relayBatch';
import { readOutbox } from './eventLog';
import { dueReservations, nextExpiry } from './reservations';
import { nextPurgeAt, purgeExpiredRecords } from './idempotency';
import { nextSignatureExpiry, purgeSeenSignatures } from '../shared/seenSignatures';
import { EXPIRIES_PER_ALARM, nextAlarmAt, type AlarmSources } from './alarmSchedule';
import { expireTogether, type ExpiryHost } from './expiries';
import { pushBatch } from '../relay/push';
import type { AlarmClock } from './alarmClock';
import type { OutboxRelay } from '../relay/outbox';
import type { ProjectionWriter } from './projectionWriter';
import type { ShardLoans } from './borrowing';

/** What one alarm run of a SKU object touches. */
export type AlarmHost = ExpiryHost & {
  alarm: AlarmClock;
  relay: OutboxRelay;
  projection: ProjectionWriter;
  loans: ShardLoans;
};

/** When the alarm's work that awaits the network is due: sibling shards, the outbox push, the KV view. */
export function workDueAt(host: Pick<AlarmHost, 'relay' | 'projection' | 'loans'>, now: number): Pick<AlarmSources, 'relay' | 'projection' | 'siblings'> {
  return { relay: host.relay.dueAt(now), projection: host.projection.dueAt(now), siblings: host.loans.dueAt(now) };
}

/**
 * One alarm run. Alarms fire at least once, sometimes twice or late: everything due is derived
 * from storage, each expiry is an idempotent command (the run's expiries share one transaction,
 * `expiries.ts`), and the next alarm is set only at the end so a failed run is retried by the
 * runtime. The network is awaited here and only here (and by a borrowing reserve): each outbox
 * batch is read from storage and acknowledged rows are removed by version, so commits
 * interleaving with the push lose nothing.
 */
export async function runAlarm(host: AlarmHost): Promise<void> {
  const { sql, alarm } = host;
  alarm.fired();
  const now = Date.now();
  const due = dueReservations(sql, now, EXPIRIES_PER_ALARM);
  expireTogether(host, due, now);
  purgeExpiredRecords(sql, now);
  purgeSeenSignatures(sql, now);
  await host.loans.work();
  const sku = host.state().sku;
  if (sku) await host.relay.run((target) => pushBatch(target, { sku, events: readOutbox(sql, sku, MAX_RELAY_BATCH) }, Date.now()), { fields: { sku }, message: 'outbox push failed', withStatus: true });
  await host.projection.write();
  const stored = { expiry: nextExpiry(sql), records: nextPurgeAt(sql), signatures: nextSignatureExpiry(sql) };
  const later = Date.now();
  await alarm.moveEarlier(nextAlarmAt({ ...stored, ...workDueAt(host, later) }, later, due.length === EXPIRIES_PER_ALARM));
}
