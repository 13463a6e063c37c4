import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { applyInOrder, memoryVersions } from '../../bridge/consumers/orderedEvents';
import type { EdgeClient } from '../../bridge/edge/client';
import type { ConsumedRecord } from '../../bridge/eventLog/port';
import { CHECKOUTS_TOPIC, EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { createBridgeApp } from '../../bridge/http/app';
import { createMetrics } from '../../bridge/metrics';
import { startOrdersView } from '../../bridge/orders/ordersView';
import { SkuStates } from '../../bridge/projections/skuStates';
import { CHECKOUT_INGEST_PATH, INGEST_PATH } from '../../src/contract/relayBatch';
import { signatureHeaders } from '../../src/contract/signature';
import { evolve, initialSkuState, skuCounters, type SkuEvent } from '../../src/domain/sku';
import { embeddedLogForFile } from './support/embeddedLog';

/**
 * The replay guard is per replica (bridge/ingest/replayGuard.ts, ADR 0006): a signed push
 * captured and replayed to another replica within its 300 s window is appended again. What it
 * appends is the object's own events, byte for byte (the signature covers the body), under the
 * versions they already have; every consumer drops them by (sku, version) or (checkout, version)
 * (invariant idempotent-writes). Here two replicas' ingest share one log, as replicas share Kafka.
 */
const log = embeddedLogForFile('ingest-replay-');
const SECRET = 'ingest-replay-secret';
const silent = pino({ level: 'silent' });
const replica = () => createBridgeApp({ log, secrets: [SECRET], metrics: createMetrics(), logger: silent });
type Replica = ReturnType<typeof replica>;

const noEdge = {
  eventsBetween: async () => {
    throw new Error('the edge is not asked: every event is in the log');
  },
} as unknown as EdgeClient;

const at = new Date().toISOString();
const sku = 'REPLAY-A';
const checkoutId = `chk_${'ab'.repeat(16)}`;
const reservationId = 'res-replay';
const skuEvent = (version: number, type: string, data: object, causedBy: Record<string, number>) => ({ type, sku, version, at, causedBy, data });
const checkoutEvent = (version: number, type: string, data: object, causedBy: Record<string, number> = {}) => ({ type, checkoutId, version, at, causedBy, data });

const skuEvents = [
  skuEvent(1, 'StockSet', { onHand: 5, limitPerCustomer: null }, {}),
  skuEvent(2, 'StockReserved', { reservationId, customerId: 'ann', qty: 1, expiresAt: at }, { [`checkout:${checkoutId}`]: 1, [`sku:${sku}`]: 1 }),
  skuEvent(3, 'ReservationCompleted', { reservationId, qty: 1 }, { [`checkout:${checkoutId}`]: 3, [`sku:${sku}`]: 2 }),
];
const checkoutEvents = [
  checkoutEvent(1, 'CheckoutStarted', { checkoutId, customerId: 'ann', lines: [{ sku, qty: 1 }], ttlSeconds: 300, requestHash: 'h' }),
  checkoutEvent(2, 'LineReserved', { sku, reservationId, skuVersion: 2 }, { [`sku:${sku}`]: 2 }),
  checkoutEvent(3, 'CompletionRequested', {}, { [`checkout:${checkoutId}`]: 2 }),
  checkoutEvent(4, 'LineCompleted', { sku, skuVersion: 3 }, { [`sku:${sku}`]: 3 }),
];

/** A push as an object signs it once; `to` sends that very request (a replay when sent again). */
async function signedPush(path: string, body: object) {
  const raw = JSON.stringify(body);
  const headers = { ...(await signatureHeaders(SECRET, { method: 'POST', path, body: raw }, Date.now())), 'content-type': 'application/json' };
  return { to: async (app: Replica) => (await app.request(path, { method: 'POST', headers, body: raw })).status };
}

async function logged(topic: string): Promise<ConsumedRecord[]> {
  const records: ConsumedRecord[] = [];
  const subscription = await log.subscribe({ groupId: `read-${Math.random()}`, topic, fromBeginning: true, onBatch: async (b) => void records.push(...b) });
  await new Promise((r) => setTimeout(r, 300));
  await subscription.stop();
  return records;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(check()).toBe(true);
}

describe('a signed push replayed to another replica', () => {
  it('is appended again there, and changes no consumer’s state: sagas, snapshots and rebuilds, the order view', async () => {
    const [a, b] = [replica(), replica()];
    const view = await startOrdersView({ log, edge: noEdge, metrics: createMetrics(), logger: silent, holdAlertSeconds: 30, retentionSeconds: 3_600 });
    try {
      const skuPush = await signedPush(INGEST_PATH, { sku, events: skuEvents });
      const checkoutPush = await signedPush(CHECKOUT_INGEST_PATH, { checkoutId, events: checkoutEvents });
      expect(await checkoutPush.to(a)).toBe(200);
      expect(await skuPush.to(a)).toBe(200);
      await until(() => view.get(checkoutId)?.status === 'completed');
      const before = view.get(checkoutId)!;

      // Each replica refuses a replay of what it took itself; the other takes it once (the guard is per replica).
      expect(await skuPush.to(a)).toBe(401);
      expect(await skuPush.to(b)).toBe(200);
      expect(await skuPush.to(b)).toBe(401);
      expect(await checkoutPush.to(b)).toBe(200);
      // Something new after the replays: once the view shows it, it has read the copies before it.
      const confirmed = skuEvent(4, 'AllocationConfirmed', { reservationId, allocationId: 'w-1' }, { [`sku:${sku}`]: 2 });
      expect(await (await signedPush(INGEST_PATH, { sku, events: [confirmed] })).to(a)).toBe(200);
      await until(() => view.get(checkoutId)?.lines[0]?.allocation === 'allocated');

      const records = (await logged(EVENTS_TOPIC)).filter((r) => r.key === sku);
      expect(records.map((r) => JSON.parse(r.value).version)).toEqual([1, 2, 3, 1, 2, 3, 4]);
      expect((await logged(CHECKOUTS_TOPIC)).filter((r) => r.key === checkoutId)).toHaveLength(2 * checkoutEvents.length);
      const events = [...skuEvents, confirmed] as SkuEvent[];

      // The order view: the checkout's document is what it was, plus the allocation.
      expect(view.get(checkoutId)).toEqual({ ...before, lines: [{ ...before.lines[0]!, allocation: 'allocated' }] });
      expect(view.causal().held).toBe(0);

      // The sagas (and every ordered consumer): each (sku, version) applied once, in order.
      const applied: SkuEvent[] = [];
      await applyInOrder({ log, groupId: 'replay-sagas', edge: noEdge, versions: memoryVersions(), metrics: createMetrics(), logger: silent, apply: async (e) => void applied.push(e) }, records);
      expect(applied.map((e) => e.version)).toEqual([1, 2, 3, 4]);

      // The snapshotter's and the rebuild's fold: the counters of the log read once.
      const states = new SkuStates(noEdge);
      let folded = 0;
      for (const record of records) folded += await states.apply(record);
      expect(folded).toBe(events.length);
      expect(states.counters(sku)).toEqual(skuCounters(events.reduce(evolve, initialSkuState())));
    } finally {
      await view.stop();
    }
  });
});
