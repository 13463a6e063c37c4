import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EdgeClient } from '../../bridge/edge/client';
import { CHECKOUTS_TOPIC, EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { adminRoutes } from '../../bridge/http/admin';
import { createMetrics } from '../../bridge/metrics';
import { PULLS_GROUP } from '../../bridge/orders/edgePulls';
import { startOrdersView } from '../../bridge/orders/ordersView';
import type { SkuEvent } from '../../src/domain/sku';
import { embeddedLogForFile } from './support/embeddedLog';

const log = embeddedLogForFile('orders-view-');

const at = '2026-11-25T10:00:00.000Z';
const checkoutId = `chk_${'0f'.repeat(16)}`;
const checkoutRecord = (version: number, type: string, data: object, causedBy: Record<string, number> = {}) => ({
  key: checkoutId,
  value: JSON.stringify({ type, checkoutId, version, at, causedBy, data }),
});
const skuRecord = (sku: string, version: number, type: string, data: object, causedBy: Record<string, number> = {}) => ({
  key: sku,
  value: JSON.stringify({ type, sku, version, at, causedBy, data }),
});

/** For the tests where every event is in the log: asking the edge is a failure. */
const noEdge = {
  eventsBetween: async () => {
    throw new Error('the edge is not asked in this test');
  },
} as unknown as EdgeClient;

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(check()).toBe(true);
}

describe('order view in the bridge', () => {
  it('holds a SKU event until the checkout event that caused it arrives, shows what it waits for, then applies both', async () => {
    let now = 1_000_000;
    const metrics = createMetrics();
    const view = await startOrdersView({ log, edge: noEdge, metrics, logger: pino({ level: 'silent' }), holdAlertSeconds: 30, retentionSeconds: 3_600, now: () => now });
    try {
      await log.append(EVENTS_TOPIC, [
        skuRecord('OV-A', 1, 'StockSet', { onHand: 5, limitPerCustomer: null }),
        skuRecord('OV-A', 2, 'StockReserved', { reservationId: 'r1', customerId: 'ann', qty: 2, expiresAt: at }, { [`checkout:${checkoutId}`]: 1 }),
        skuRecord('OV-A', 3, 'AllocationConfirmed', { reservationId: 'r1', allocationId: 'w1' }, { 'sku:OV-A': 2 }),
      ]);
      await until(() => view.causal().held === 2);
      now += 45_000;
      expect(view.causal()).toMatchObject({ held: 2, oldestHeldSeconds: 45, missing: { [`checkout:${checkoutId}`]: 1 } });
      expect(view.get(checkoutId)).toBeNull();
      expect(await metrics.registry.getSingleMetricAsString('bridge_causal_held_events')).toContain('bridge_causal_held_events{consumer="orders"} 2');

      await log.append(CHECKOUTS_TOPIC, [
        checkoutRecord(1, 'CheckoutStarted', { checkoutId, customerId: 'ann', lines: [{ sku: 'OV-A', qty: 2 }], ttlSeconds: 300, requestHash: 'h' }),
        checkoutRecord(2, 'LineReserved', { sku: 'OV-A', reservationId: 'r1', skuVersion: 2 }, { 'sku:OV-A': 2 }),
      ]);
      await until(() => view.causal().held === 0 && view.get(checkoutId)?.version === 2);
      expect(view.get(checkoutId)).toEqual({
        checkoutId,
        customerId: 'ann',
        status: 'reserved',
        version: 2,
        lines: [{ sku: 'OV-A', qty: 2, state: 'held', reservationId: 'r1', purchase: 'held', allocation: 'allocated', releaseReason: null }],
      });
      expect(view.causal()).toEqual({ held: 0, oldestHeldSeconds: null, missing: {}, alerting: false });
    } finally {
      await view.stop();
    }
  });
});

describe('order view retention', () => {
  const finishedAt = Date.parse(at);
  const RETENTION_SECONDS = 600;

  /** A checkout of one line on its own SKU: completed, left to expire, or reserved and still held. */
  function checkout(n: number, end: 'completed' | 'expired' | 'held') {
    const id = `chk_${n.toString(16).padStart(32, '0')}`;
    const sku = `RET-${n}`;
    const reservationId = `res-${n}`;
    const own = (version: number, type: string, data: object, causedBy: Record<string, number> = {}) => ({
      key: id,
      value: JSON.stringify({ type, checkoutId: id, version, at, causedBy, data }),
    });
    const checkouts = [
      own(1, 'CheckoutStarted', { checkoutId: id, customerId: 'ann', lines: [{ sku, qty: 1 }], ttlSeconds: 300, requestHash: 'h' }),
      own(2, 'LineReserved', { sku, reservationId, skuVersion: 2 }, { [`sku:${sku}`]: 2 }),
    ];
    const skus = [
      skuRecord(sku, 1, 'StockSet', { onHand: 5, limitPerCustomer: null }),
      skuRecord(sku, 2, 'StockReserved', { reservationId, customerId: 'ann', qty: 1, expiresAt: at }, { [`checkout:${id}`]: 1 }),
    ];
    if (end === 'completed') {
      checkouts.push(own(3, 'CompletionRequested', {}), own(4, 'LineCompleted', { sku, skuVersion: 3 }, { [`sku:${sku}`]: 3 }));
      skus.push(skuRecord(sku, 3, 'ReservationCompleted', { reservationId, qty: 1 }, { [`checkout:${id}`]: 3, [`sku:${sku}`]: 2 }));
    }
    if (end === 'expired') skus.push(skuRecord(sku, 3, 'StockReleased', { reservationId, qty: 1, reason: 'expired', refundDue: false }, { [`sku:${sku}`]: 2 }));
    // Later: the WMS confirms the allocation.
    const late = skuRecord(sku, skus.length + 1, 'AllocationConfirmed', { reservationId, allocationId: 'w-late' }, { [`sku:${sku}`]: 2 });
    return { id, checkouts, skus, late };
  }

  const admin = (view: Awaited<ReturnType<typeof startOrdersView>>) =>
    adminRoutes({
      log,
      edge: {} as EdgeClient,
      logger: pino({ level: 'silent' }),
      adminKeys: ['ops'],
      metrics: createMetrics(),
      sagas: () => null,
      sagaGroup: { members: async () => [], self: () => null },
      orders: () => view,
      wmsHealth: async () => ({ ok: true, detail: 'test' }),
    });

  it('forgets a finished checkout after the retention, answers 404 retired for it, and a late event does not bring it back', async () => {
    let now = finishedAt;
    const view = await startOrdersView({ log, edge: noEdge, metrics: createMetrics(), logger: pino({ level: 'silent' }), holdAlertSeconds: 30, retentionSeconds: RETENTION_SECONDS, now: () => now });
    try {
      const [completed, abandoned, open] = [checkout(1, 'completed'), checkout(2, 'expired'), checkout(3, 'held')];
      for (const c of [completed, abandoned, open]) {
        await log.append(CHECKOUTS_TOPIC, c.checkouts);
        await log.append(EVENTS_TOPIC, c.skus);
      }
      await until(() => view.get(completed.id)?.status === 'completed' && view.get(abandoned.id)?.lines[0]?.purchase === 'released' && view.get(open.id)?.status === 'reserved');
      const sizeBefore = view.size;

      now += RETENTION_SECONDS * 1000 - 1;
      expect(view.get(completed.id)?.status).toBe('completed');
      now += 1;
      expect(view.get(completed.id)).toBeNull();
      expect(view.get(abandoned.id)).toBeNull();
      expect(view.get(open.id)?.status).toBe('reserved');
      expect(view.size).toBe(sizeBefore - 2);
      expect([completed.id, abandoned.id, open.id].map((id) => view.isRetired(id))).toEqual([true, true, false]);

      // A late event about the forgotten checkout's reservation: no document comes back.
      await log.append(EVENTS_TOPIC, [completed.late, open.late]);
      await until(() => view.get(open.id)?.lines[0]?.allocation === 'allocated');
      expect(view.get(completed.id)).toBeNull();
      expect(view.size).toBe(sizeBefore - 2);

      const routes = admin(view);
      const ask = (id: string) => routes.request(`/checkouts/${id}`, { headers: { authorization: 'Bearer ops' } });
      const retired = await ask(completed.id);
      expect(retired.status).toBe(404);
      expect(await retired.json()).toEqual({
        error: { code: 'order_retired', message: expect.stringMatching(/finished and was retired .*ORDER_VIEW_RETENTION_SECONDS.*edge still answers/) },
      });
      const unknown = await ask(`chk_${'e'.repeat(32)}`);
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('order_not_found');
      expect((await ask(open.id)).status).toBe(200);
    } finally {
      await view.stop();
    }
  });

  it('a view started long after checkouts finished forgets them while replaying, and holds only the ones in flight', async () => {
    const view = await startOrdersView({
      log, edge: noEdge, metrics: createMetrics(), logger: pino({ level: 'silent' }), holdAlertSeconds: 30, retentionSeconds: RETENTION_SECONDS, now: () => finishedAt + 86_400_000,
    });
    try {
      await until(() => view.get(`chk_${(3).toString(16).padStart(32, '0')}`)?.status === 'reserved');
      expect(view.get(`chk_${(1).toString(16).padStart(32, '0')}`)).toBeNull();
      expect(view.isRetired(`chk_${(1).toString(16).padStart(32, '0')}`)).toBe(true);
      // In flight here: checkout 3 of the test above and the first test's checkout (reserved, never finished).
      expect(view.size).toBe(2);
    } finally {
      await view.stop();
    }
  });

  it('forgets retired checkouts in the causal order too, drops late copies of their events instead of holding them, and remembers them as retired for one more retention', async () => {
    let now = finishedAt;
    const view = await startOrdersView({ log, edge: noEdge, metrics: createMetrics(), logger: pino({ level: 'silent' }), holdAlertSeconds: 30, retentionSeconds: RETENTION_SECONDS, now: () => now });
    try {
      const N = 20;
      const done = Array.from({ length: N }, (_, i) => checkout(100 + i, 'completed'));
      for (const c of done) {
        await log.append(CHECKOUTS_TOPIC, c.checkouts);
        await log.append(EVENTS_TOPIC, c.skus);
      }
      await until(() => done.every((c) => view.get(c.id)?.status === 'completed'));
      const [streams, size] = [view.streams, view.size];

      now += RETENTION_SECONDS * 1000;
      expect(done.every((c) => view.isRetired(c.id))).toBe(true);
      // Retired with them: any checkout of the tests above that finished at the same time.
      const retiredCount = size - view.size;
      expect(retiredCount).toBeGreaterThanOrEqual(N);
      expect(view.streams).toBe(streams - retiredCount);

      // The coordinators re-send parts of their logs (a start alone, or the steps after it); one
      // SKU records something new that names a retired checkout's step (its cause is waived, so
      // its SKU stream goes on).
      for (const [i, c] of done.entries()) await log.append(CHECKOUTS_TOPIC, i % 2 ? c.checkouts.slice(1) : c.checkouts.slice(0, 1));
      const first = done[0]!;
      const sku = 'RET-100';
      await log.append(EVENTS_TOPIC, [
        first.skus[1]!,
        skuRecord(sku, 4, 'StockReleased', { reservationId: 'res-100', qty: 1, reason: 'admin', refundDue: true }, { [`checkout:${first.id}`]: 4 }),
        skuRecord(sku, 5, 'StockReceived', { qty: 1 }),
      ]);
      // A checkout started after them, on both topics after them: once it shows, they were read.
      const marker = checkout(199, 'held');
      await log.append(CHECKOUTS_TOPIC, marker.checkouts);
      await log.append(EVENTS_TOPIC, marker.skus);
      await until(() => view.get(marker.id)?.status === 'reserved');
      expect(view.causal().held).toBe(0);
      expect(done.every((c) => view.get(c.id) === null && view.isRetired(c.id))).toBe(true);
      expect(view.streams).toBe(streams - retiredCount + 2);

      // One more retention later on the log's clock (an event dated then has been read), the
      // retired ids are forgotten as well: the view holds nothing of those checkouts any more.
      now += RETENTION_SECONDS * 1000;
      await log.append(EVENTS_TOPIC, [{ key: 'RET-CLOCK', value: JSON.stringify({ type: 'StockSet', sku: 'RET-CLOCK', version: 1, at: new Date(now).toISOString(), causedBy: {}, data: { onHand: 1, limitPerCustomer: null } }) }]);
      await until(() => view.streams === streams - retiredCount + 3);
      expect(done.some((c) => view.isRetired(c.id))).toBe(false);
      expect(view.get(first.id)).toBeNull();

      // Later still, steps of a checkout forgotten altogether (a late cancel of an abandoned
      // cart, say): its stream is met past its start, so they are dropped, not held for ever.
      await log.append(CHECKOUTS_TOPIC, done[1]!.checkouts.slice(1));
      const after = checkout(198, 'held');
      await log.append(CHECKOUTS_TOPIC, after.checkouts);
      await log.append(EVENTS_TOPIC, after.skus);
      await until(() => view.get(after.id)?.status === 'reserved');
      expect(view.causal().held).toBe(0);
      expect(view.get(done[1]!.id)).toBeNull();
    } finally {
      await view.stop();
    }
  });
});

describe('order view: holes filled from the edge', () => {
  it('pulls from the edge, once a stream has waited past the grace and again after a failure, the SKU events the log never delivers, and the checkout view completes', async () => {
    const id = `chk_${'a1'.repeat(16)}`;
    const own = (version: number, type: string, data: object, causedBy: Record<string, number> = {}) => ({
      key: id,
      value: JSON.stringify({ type, checkoutId: id, version, at, causedBy, data }),
    });
    const event = (sku: string, version: number, type: string, data: object, causedBy: Record<string, number> = {}) => ({ type, sku, version, at, causedBy, data }) as SkuEvent;
    // The SKU objects' logs as the edge keeps them; the event log lacks A's and B's version 2.
    const edgeLog = [
      event('PULL-A', 1, 'StockSet', { onHand: 5, limitPerCustomer: null }),
      event('PULL-A', 2, 'StockReserved', { reservationId: 'ra', customerId: 'ann', qty: 1, expiresAt: at }, { [`checkout:${id}`]: 1 }),
      event('PULL-A', 3, 'AllocationConfirmed', { reservationId: 'ra', allocationId: 'wa' }, { 'sku:PULL-A': 2 }),
      event('PULL-B', 1, 'StockSet', { onHand: 5, limitPerCustomer: null }),
      event('PULL-B', 2, 'StockReserved', { reservationId: 'rb', customerId: 'ann', qty: 1, expiresAt: at }, { [`checkout:${id}`]: 2, 'sku:PULL-A': 2 }),
    ];
    const asked: string[] = [];
    const edge = {
      eventsBetween: async (sku: string, after: number, before: number) => {
        asked.push(`${sku} (${after}, ${before})`);
        if (asked.length === 1) throw new Error('edge unreachable');
        return edgeLog.filter((e) => e.sku === sku && e.version > after && e.version < before);
      },
    } as unknown as EdgeClient;
    let now = Date.parse(at);
    const metrics = createMetrics();
    const view = await startOrdersView({ log, edge, metrics, logger: pino({ level: 'silent' }), holdAlertSeconds: 30, retentionSeconds: 3_600, pullGraceSeconds: 30, now: () => now });
    const tick = () => new Promise((r) => setTimeout(r, 1_500));
    try {
      await log.append(CHECKOUTS_TOPIC, [
        own(1, 'CheckoutStarted', { checkoutId: id, customerId: 'ann', lines: [{ sku: 'PULL-A', qty: 1 }, { sku: 'PULL-B', qty: 1 }], ttlSeconds: 300, requestHash: 'h' }),
        own(2, 'LineReserved', { sku: 'PULL-A', reservationId: 'ra', skuVersion: 2 }, { 'sku:PULL-A': 2 }),
        own(3, 'LineReserved', { sku: 'PULL-B', reservationId: 'rb', skuVersion: 2 }, { 'sku:PULL-A': 2, 'sku:PULL-B': 2 }),
      ]);
      await log.append(EVENTS_TOPIC, [edgeLog[0]!, edgeLog[2]!, edgeLog[3]!].map((e) => ({ key: e.sku, value: JSON.stringify(e) })));
      // A3 waits for A2, the checkout's step 2 for A2, its step 3 for step 2.
      await until(() => view.causal().held === 3);
      await tick();
      expect(asked).toEqual([]);

      now += 30_000;
      await until(() => asked.length === 1);
      await tick();
      expect(asked).toHaveLength(1); // the retry waits for its backoff
      now += 1_000;
      await until(() => view.causal().held === 1);
      // A2 came from the edge: A3 and step 2 followed; step 3 now waits for B2, which nothing in the log follows.
      expect(view.causal().missing).toEqual({ 'sku:PULL-B': 2 });
      await tick();
      expect(asked).toHaveLength(2);
      now += 30_000;
      await until(() => view.get(id)?.version === 3);
      expect(asked).toEqual(['PULL-A (1, 3)', 'PULL-A (1, 3)', 'PULL-B (1, 3)']);
      expect(view.get(id)).toMatchObject({
        status: 'reserved',
        lines: [
          { sku: 'PULL-A', state: 'held', purchase: 'held', allocation: 'allocated' },
          { sku: 'PULL-B', state: 'held', purchase: 'held', allocation: 'pending' },
        ],
      });
      expect(view.causal()).toMatchObject({ held: 0, missing: {} });
      expect(await metrics.registry.getSingleMetricAsString('bridge_consumer_causal_pulls_total')).toContain(`bridge_consumer_causal_pulls_total{group="${PULLS_GROUP}"} 2`);
    } finally {
      await view.stop();
    }
  });
});
