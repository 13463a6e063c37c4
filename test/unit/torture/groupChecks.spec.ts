import { describe, expect, it } from 'vitest';
import { foldLedger, type SkuEvent } from '../../../src/domain/sku';
import type { Folded } from '../../../torture/checks';
import {
  bridgeOutageHarmless,
  completedPurchasesKept,
  sagasOwnedOnce,
  sagaStatesForward,
  wmsTimeoutsFromWms,
  type SagaHistory,
  type SagaValue,
} from '../../../torture/groupChecks';

/**
 * The torture's bridge-group checks can fail: each is fed what a defect would leave behind (two
 * replicas on one partition, a stale owner's write, a sale undone by the bridge's own outage).
 */
const T0 = Date.parse('2026-12-06T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const DEADLINE = 3_000;

function sku(name: string, steps: [type: string, data: Record<string, unknown>, atMs: number][]): Folded {
  const log = steps.map(([type, data, ms], i) => ({ type, data, sku: name, version: i + 1, at: at(ms), causedBy: {} }) as unknown as SkuEvent);
  const { state, reservations } = foldLedger(log);
  return { sku: name, log, state, reservations };
}
const stock: [string, Record<string, unknown>, number] = ['StockSet', { onHand: 10, limitPerCustomer: null }, 0];
const reserved = (id: string, ms: number): [string, Record<string, unknown>, number] => ['StockReserved', { reservationId: id, customerId: 'c', qty: 1, expiresAt: at(ms + 60_000) }, ms];
const completed = (id: string, ms: number): [string, Record<string, unknown>, number] => ['ReservationCompleted', { reservationId: id, qty: 1 }, ms];
const allocated = (id: string, ms: number): [string, Record<string, unknown>, number] => ['AllocationConfirmed', { reservationId: id, allocationId: `a-${id}` }, ms];
const released = (id: string, ms: number, reason: string, refundDue = false): [string, Record<string, unknown>, number] => ['StockReleased', { reservationId: id, qty: 1, reason, refundDue }, ms];

const history = (entries: Record<string, (Partial<SagaValue> | null)[]>): SagaHistory =>
  new Map(
    Object.entries(entries).map(([id, values]) => [
      `saga:${id}`,
      values.map((v, i) => ({ key: `saga:${id}`, value: v && { phase: 'allocating', updatedAt: T0 + i, ...v }, offset: String(i), partition: 0 })),
    ]),
  );

/** A replica's pino lines: `[ms, message, partitions, group]`. */
const output = (lines: [number, string, number[], string?][]) =>
  lines.map(([ms, msg, partitions, groupId = 'wms-saga']) => JSON.stringify({ level: 30, time: T0 + ms, component: 'owned-group', groupId, partitions, msg })).join('\n');

describe('no saga partition on two replicas at once', () => {
  it('a replica still working on a partition the other acquired is caught; the snapshotter group is not mistaken for it', () => {
    const lives = [
      { replica: 'bridge-1', output: output([[0, 'partitions acquired', [0, 1]], [100, 'partitions acquired', [1], 'snapshotter']]), endedAt: T0 + 10_000 },
      { replica: 'bridge-2', output: output([[0, 'partitions acquired', [2]], [5_000, 'partitions acquired', [1]]]), endedAt: T0 + 10_000 },
    ];
    expect(sagasOwnedOnce(lives, [], 3).violations).toEqual([
      `saga partition 1: bridge-1 ${at(0)}–${at(10_000)} and bridge-2 ${at(5_000)}–${at(10_000)} at once`,
    ]);
  });

  it('a killed replica whose partitions were not resumed elsewhere before it came back is caught', () => {
    const lives = [
      { replica: 'bridge-1', output: output([[0, 'partitions acquired', [0, 1]]]), endedAt: T0 + 1_000 },
      { replica: 'bridge-1', output: output([[20_000, 'partitions acquired', [1]]]), endedAt: T0 + 30_000 },
      { replica: 'bridge-2', output: output([[0, 'partitions acquired', [2]], [12_000, 'partitions acquired', [0]], [20_000, 'partitions revoked', [0]]]), endedAt: T0 + 30_000 },
    ];
    const kill = { replica: 'bridge-1', at: T0 + 1_000, back: T0 + 19_000 };
    expect(sagasOwnedOnce(lives, [kill], 3).violations).toEqual([
      `saga partition 1 of bridge-1 (killed ${at(1_000)}) not resumed elsewhere before it was back at ${at(19_000)}`,
    ]);
    // Its partitions resumed on the other replica: clean.
    lives[2]!.output = output([[0, 'partitions acquired', [2]], [12_000, 'partitions acquired', [0, 1]], [19_500, 'partitions suspended', [0, 1, 2]], [20_500, 'partitions resumed', [0, 2]]]);
    expect(sagasOwnedOnce(lives, [kill], 3).violations).toEqual([]);
  });
});

describe('no saga state went back', () => {
  it('a stale owner writing an older state, or allocating after done, is caught; a tombstone or a re-cancel after done is not', () => {
    const h = history({
      r1: [{ phase: 'allocating' }, { phase: 'done' }, { phase: 'allocating' }],
      r2: [{ phase: 'allocating' }, { phase: 'done' }, null],
      // A late WMS reply (allocated by an attempt from before the cancel) reopens it to cancel again.
      r3: [{ phase: 'cancelling' }, { phase: 'done' }, { phase: 'cancelling' }, { phase: 'done' }],
      r4: [{ phase: 'allocating' }, { phase: 'confirming' }, { phase: 'allocating', updatedAt: T0 }],
    });
    expect(sagaStatesForward(h).violations).toEqual([
      `saga:r1: allocating (updated ${T0 + 2}) at p0 offset 2 after done (updated ${T0 + 1}) at offset 1`,
      `saga:r4: allocating (updated ${T0}) at p0 offset 2 after confirming (updated ${T0 + 1}) at offset 1`,
    ]);
  });
});

describe('no sale undone by our own outage', () => {
  it('a completed purchase released as wms_timeout, or left unallocated, is caught; one the WMS refused is not', () => {
    const folded = sku('S', [stock, reserved('r1', 1), completed('r1', 2), released('r1', 5_000, 'wms_timeout', true), reserved('r2', 3), completed('r2', 4), reserved('r3', 5), completed('r3', 6), released('r3', 90, 'wms_rejected', true), reserved('r4', 7), completed('r4', 8), allocated('r4', 9)]);
    expect(completedPurchasesKept([folded]).violations).toEqual(['S r1: bought, then released as wms_timeout', 'S r2: bought, allocation pending at the end']);
  });

  it('a wms_timeout release without a first attempt, within the deadline of it, or without a failed AllocateStock is ours, not the WMS\'s', () => {
    const outage = { from: T0 + 10_000, to: T0 + 19_000 };
    const folded = sku('S', [stock, reserved('r1', 1), reserved('r2', 2), reserved('r3', 12_000), reserved('r4', 4), released('r1', 20_000, 'wms_timeout'), released('r2', 20_000, 'wms_timeout'), released('r3', 20_100, 'wms_timeout'), released('r4', 6_000, 'wms_timeout'), reserved('r5', 5), released('r5', 6_000, 'wms_timeout')]);
    const h = history({
      r1: [{ firstAttemptAt: null }],
      r2: [{ firstAttemptAt: T0 + 9_000, lastError: null }, { firstAttemptAt: T0 + 9_000, lastError: 'GetAllocation: timeout' }],
      r3: [{ firstAttemptAt: T0 + 19_500, lastError: 'Allocate: timeout' }],
      r4: [{ firstAttemptAt: T0 + 10, lastError: 'Allocate: timeout' }, { firstAttemptAt: T0 + 10, lastError: 'GetAllocation: not answered' }],
      // Its Allocate failures were never committed on their own (Kafka down): the count says so.
      r5: [{ firstAttemptAt: T0 + 10, lastError: 'Cancel: timeout', allocateFailures: 3 }],
    });
    expect(wmsTimeoutsFromWms([folded], h, DEADLINE, [outage]).violations).toEqual([
      `S r1, reserved before the bridge outage of ${at(10_000)}: released as wms_timeout, the WMS never asked to allocate`,
      `S r2, reserved before the bridge outage of ${at(10_000)}: released as wms_timeout with no failed AllocateStock on record (last error: GetAllocation: timeout; samples allocating@-9000 → allocating@-8999; notes [])`,
      `S r3, reserved during the bridge outage of ${at(10_000)}: released as wms_timeout 600 ms after the first attempt (deadline 3000 ms)`,
    ]);
  });

  it('a reservation made while every replica was down, released as wms_timeout without the WMS failing, is caught; one the WMS failed, or its buyer released, is not', () => {
    const outage = { from: T0 + 10_000, to: T0 + 19_000 };
    const folded = sku('S', [
      stock,
      reserved('r1', 11_000),
      reserved('r2', 12_000),
      reserved('r3', 5_000),
      reserved('r4', 13_000),
      completed('r4', 13_500),
      released('r1', 19_100, 'wms_timeout'),
      released('r2', 13_000, 'cancelled'),
      released('r3', 25_000, 'wms_timeout'),
      reserved('r5', 14_000),
      released('r5', 25_000, 'wms_timeout'),
    ]);
    const h = history({ r5: [{ firstAttemptAt: T0 + 19_200, lastError: 'Allocate: SOAP fault' }] });
    const check = bridgeOutageHarmless([folded], h, DEADLINE, [outage]);
    expect(check.checked).toBe(4);
    expect(check.check).toBe("reservations made during the bridge outage settle as any other (1 released for the WMS's failures)");
    expect(check.violations).toEqual([
      `S r1: reserved at ${at(11_000)}, during a bridge outage, released as wms_timeout, the WMS never asked to allocate`,
      'S r4: reserved during a bridge outage, bought, allocation pending',
    ]);
  });
});
