import { SAGAS_TOPIC } from '../bridge/eventLog/topics';
import { ownershipSpans, overlapping, wentBack, type Span } from '../test/e2e/support/ownership';
import type { Check, Folded } from './checkTypes';

/**
 * The checks the bridge as a group of replicas adds to the torture run (docs/adr/0001, 0002):
 * no saga partition worked on by two replicas at once, a killed replica's partitions taken over
 * by the other, no saga's state going back in its topic, and no sale undone by the bridge's own
 * outage. Pure: the run hands them the replicas' logs, the saga topic's history and the SKU logs.
 */

/** What a saga record carries that these checks read (the topic holds the whole saga). */
export type SagaValue = {
  phase: string;
  updatedAt: number;
  firstAttemptAt?: number | null;
  lastError?: string | null;
  allocateFailures?: number;
  notes?: { at: number; note: string }[];
  reference?: string | null;
  location?: string | null;
  lastAllocateAt?: number | null;
  leftBehind?: { reference: string; nextAttemptAt: number | null; lastAllocateAt?: number | null }[];
};
export type SagaRecord = { key: string; value: SagaValue | null; offset: string; partition: number };
/** Every record of the saga state topic (SAGAS_TOPIC) per key (`saga:<reservationId>`), in log order. */
export type SagaHistory = ReadonlyMap<string, readonly SagaRecord[]>;

/** One process of one replica: what it printed, and when it ended (killed, or the end of the run). */
export type ReplicaLife = { replica: string; output: string; endedAt: number };
/** A replica SIGKILLed at `at` and started again at `back`. */
export type ReplicaKill = { replica: string; at: number; back: number };
/** Every replica down, from the kill to all healthy again. */
export type Outage = { from: number; to: number };

/** The saga group's spans of ownership, from each replica's 'partitions …' lines. */
export function sagaSpans(lives: readonly ReplicaLife[]): Span[] {
  return lives.flatMap(({ replica, output, endedAt }) => ownershipSpans(replica, output, endedAt));
}

/**
 * No saga partition worked on by two replicas at once; every partition worked on; the partitions
 * a killed replica held resumed on another replica before it came back.
 */
export function sagasOwnedOnce(lives: readonly ReplicaLife[], kills: readonly ReplicaKill[], partitions: number): Check {
  const spans = sagaSpans(lives);
  const when = (ms: number) => new Date(ms).toISOString();
  const violations = overlapping(spans).map(
    ([a, b]) => `saga partition ${a.partition}: ${a.replica} ${when(a.from)}–${when(a.to)} and ${b.replica} ${when(b.from)}–${when(b.to)} at once`,
  );
  const seen = new Set(spans.map((s) => s.partition));
  if (seen.size !== partitions) violations.push(`${seen.size} saga partitions ever worked on, of ${partitions}`);
  for (const kill of kills) {
    const held = spans.filter((s) => s.replica === kill.replica && s.to === kill.at).map((s) => s.partition);
    if (held.length === 0) violations.push(`${kill.replica} held no saga partition when it was killed at ${when(kill.at)}`);
    for (const partition of held) {
      const taken = spans.some((s) => s.partition === partition && s.replica !== kill.replica && s.from >= kill.at && s.from <= kill.back);
      if (!taken) violations.push(`saga partition ${partition} of ${kill.replica} (killed ${when(kill.at)}) not resumed elsewhere before it was back at ${when(kill.back)}`);
    }
  }
  return { check: `no saga partition on two replicas at once; a killed one's taken over (${spans.length} spans)`, checked: spans.length, violations };
}

/** No saga's state went back in its topic: a stale owner never overwrote a newer one. */
export function sagaStatesForward(history: SagaHistory): Check {
  const violations: string[] = [];
  for (const [key, records] of history) {
    for (const r of wentBack(records)) {
      const before = records[records.indexOf(r) - 1]!;
      violations.push(
        `${key}: ${r.value?.phase} (updated ${r.value?.updatedAt}) at p${r.partition} offset ${r.offset} after ${before.value?.phase} (updated ${before.value?.updatedAt}) at offset ${before.offset}`,
      );
    }
  }
  return { check: `no saga state went back in ${SAGAS_TOPIC}`, checked: history.size, violations };
}

type Release = { sku: string; reservationId: string; at: number; reason: string; completed: boolean; reservedAt: number };

/** Every release of the run with when its reservation was made and whether it had been bought. */
function releases(folded: readonly Folded[]): Release[] {
  const out: Release[] = [];
  for (const { sku, log } of folded) {
    const reservedAt = new Map<string, number>();
    const completed = new Set<string>();
    for (const e of log) {
      if (e.type === 'StockReserved') reservedAt.set(e.data.reservationId, Date.parse(e.at));
      if (e.type === 'ReservationCompleted') completed.add(e.data.reservationId);
      if (e.type === 'StockReleased') {
        const id = e.data.reservationId;
        out.push({ sku, reservationId: id, at: Date.parse(e.at), reason: e.data.reason, completed: completed.has(id), reservedAt: reservedAt.get(id) ?? 0 });
      }
    }
  }
  return out;
}

/**
 * Invariant no-sale-undone-by-our-outage: every completed purchase ends allocated, unless the
 * WMS refused it (`wms_rejected`, refund due); none is released as `wms_timeout`.
 */
export function completedPurchasesKept(folded: readonly Folded[]): Check {
  const violations: string[] = [];
  let checked = 0;
  for (const { sku, reservations } of folded) {
    for (const r of reservations.values()) {
      if (r.status !== 'completed' && !r.refundDue) continue;
      checked++;
      if (r.status === 'released' && r.releaseReason !== 'wms_rejected') violations.push(`${sku} ${r.reservationId}: bought, then released as ${r.releaseReason}`);
      if (r.status === 'completed' && r.allocation !== 'allocated') violations.push(`${sku} ${r.reservationId}: bought, allocation ${r.allocation} at the end`);
    }
  }
  return { check: 'every completed purchase allocated; none released as wms_timeout', checked, violations };
}

/**
 * A `wms_timeout` release is the WMS's doing only if the saga asked it to allocate and it failed
 * to answer (a failed AllocateStock on record), and a whole deadline passed from that first
 * attempt to the release. A release without them was caused by the bridge's own absence: the
 * saga concluded from a silence that was ours (ADR 0002: after an outage every reservation is
 * offered to the WMS with a full deadline).
 */
export function wmsTimeoutsFromWms(folded: readonly Folded[], history: SagaHistory, deadlineMs: number, outages: readonly Outage[]): Check {
  const timeouts = releases(folded).filter((r) => r.reason === 'wms_timeout');
  const violations = timeouts.flatMap((release) => {
    const why = notTheWms(release, history, deadlineMs);
    return why ? [`${named(release, outages)}: ${why}`] : [];
  });
  return { check: 'wms_timeout releases only where the WMS failed for a whole deadline', checked: timeouts.length, violations };
}

/** Why a `wms_timeout` release was not the WMS's doing, or null if it was. */
function notTheWms(release: Release, history: SagaHistory, deadlineMs: number): string | null {
  const values = (history.get(`saga:${release.reservationId}`) ?? []).flatMap((r) => (r.value ? [r.value] : []));
  const firstAttemptAt = values.find((v) => typeof v.firstAttemptAt === 'number')?.firstAttemptAt ?? null;
  if (firstAttemptAt === null) return 'released as wms_timeout, the WMS never asked to allocate';
  if (release.at - firstAttemptAt < deadlineMs) return `released as wms_timeout ${release.at - firstAttemptAt} ms after the first attempt (deadline ${deadlineMs} ms)`;
  // The topic holds samples of the saga (one commit per flush, none while Kafka is down): its count of failed AllocateStock calls outlives `lastError`.
  if (!values.some((v) => v.lastError?.startsWith('Allocate:') || (v.allocateFailures ?? 0) > 0)) {
    const path = values.map((v) => `${v.phase}@${v.updatedAt - firstAttemptAt}`).join(' → ');
    return `released as wms_timeout with no failed AllocateStock on record (last error: ${values.at(-1)?.lastError ?? 'none'}; samples ${path}; notes ${JSON.stringify(values.at(-1)?.notes ?? [])})`;
  }
  return null;
}

/**
 * The reservations made while every bridge replica was down settle as any other: their sagas
 * start after the outage, with a whole deadline, so none is released as `wms_timeout` unless the
 * WMS then failed it (a replica killed soon after may leave it little more than one attempt:
 * invariant no-sale-undone-by-our-outage asks for one), and every bought one ends allocated. `checked`: how many were made
 * during an outage (none: the outage tested nothing).
 */
export function bridgeOutageHarmless(folded: readonly Folded[], history: SagaHistory, deadlineMs: number, outages: readonly Outage[]): Check {
  const during = (at: number) => outages.some((o) => at >= o.from && at <= o.to);
  const releasedAt = new Map(releases(folded).map((r) => [r.reservationId, r]));
  const violations: string[] = [];
  let checked = 0;
  let timedOut = 0;
  for (const { sku, log, reservations } of folded) {
    for (const e of log) {
      if (e.type !== 'StockReserved' || !during(Date.parse(e.at))) continue;
      checked++;
      const r = reservations.get(e.data.reservationId);
      const release = releasedAt.get(e.data.reservationId);
      if (r?.releaseReason === 'wms_timeout' && release) {
        const why = notTheWms(release, history, deadlineMs);
        if (why) violations.push(`${sku} ${r.reservationId}: reserved at ${e.at}, during a bridge outage, ${why}`);
        else timedOut++;
      }
      if (r?.status === 'completed' && r.allocation !== 'allocated') violations.push(`${sku} ${r.reservationId}: reserved during a bridge outage, bought, allocation ${r.allocation}`);
    }
  }
  return { check: `reservations made during the bridge outage settle as any other (${timedOut} released for the WMS's failures)`, checked, violations };
}

function named(release: Release, outages: readonly Outage[]): string {
  const outage = outages.find((o) => release.at >= o.from);
  const around = outage && release.reservedAt < outage.to ? `, reserved ${release.reservedAt < outage.from ? 'before' : 'during'} the bridge outage of ${new Date(outage.from).toISOString()}` : '';
  return `${release.sku} ${release.reservationId}${release.completed ? ' (bought)' : ''}${around}`;
}

/**
 * Every state a saga's record had in the topic, one line each (time, phase, reference, what it
 * left behind and when those cancels are due, its newest note): a leak's diagnosis after the saga
 * was retired from the bridge.
 */
export function sagaTrail(history: SagaHistory, reservationId: string): string {
  const records = history.get(`saga:${reservationId}`) ?? [];
  if (records.length === 0) return 'none in the topic';
  const at = (ms: number | null | undefined) => (ms == null ? '-' : new Date(ms).toISOString().slice(11, 23));
  return records
    .map(({ value: v, partition, offset }) => {
      if (!v) return `[${partition}@${offset} retired]`;
      const left = (v.leftBehind ?? []).map((l) => `${l.reference} due ${at(l.nextAttemptAt)} last allocate ${at(l.lastAllocateAt)}`).join(', ');
      return `[${partition}@${offset} ${at(v.updatedAt)} ${v.phase} ${v.reference ?? 'bare'} at ${v.location ?? '-'} last allocate ${at(v.lastAllocateAt)} left {${left}} note "${v.notes?.at(-1)?.note ?? ''}"]`;
    })
    .join(' ');
}
