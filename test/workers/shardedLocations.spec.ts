import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { MovementCommand } from '../../src/contract/movements';
import { homeShard, streamOf } from '../../src/domain/sku';
import { ADMIN, call, reserve, signed, uniqueSku } from '../support/api';

/*
 * Locations on a sharded SKU (docs/architecture.md, "Locations on a sharded SKU"): each shard holds
 * its share of each location, a buyer's shard borrows units of one location, and a warehouse
 * document that lowers a location is applied at shard 0 once it brought the units home.
 * Invariant never-oversell-a-location, summed over the shards.
 */

const SHARDS = 4;
const setStock = (sku: string, body: object) => call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body });
const counters = async (sku: string) => (await call('GET', `/v1/skus/${sku}?consistent=true`)).json;
const shardEvents = async (sku: string, shard: number) => {
  const res = await call('GET', `/v1/admin/skus/${sku}/events?shard=${shard}&limit=1000`, { key: ADMIN });
  expect(res.status).toBe(200);
  return res.json.events as any[];
};
const movement = (sku: string, sequence: number, location: string, delta: number, kind: MovementCommand['movement'] = 'count') =>
  signed('POST', `/internal/skus/${sku}/movements`, { warehouse: 'soap-1', document: `WMS-${sequence}`, sequence, movement: kind, location, delta, at: '2026-12-06T10:00:00Z' });

function customersOn(k: number, count: number, prefix: string): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i++) if (homeShard(`${prefix}-${i}`, SHARDS) === k) found.push(`${prefix}-${i}`);
  return found;
}

/** Amsterdam (region eu, 40 units) and Newark (region us, priority 1, 20 units), split over 4 shards. */
async function twoSitesOverShards(sku: string) {
  expect((await setStock(sku, { onHand: 40, location: 'AMS-1', region: 'eu', shards: SHARDS })).status).toBe(200);
  const ewr = await setStock(sku, { onHand: 20, location: 'EWR-1', region: 'us', priority: 1 });
  expect(ewr.status).toBe(200);
  return ewr.json;
}

/** Every location's reserved + sold within its units, summed over the shards, and on each shard. */
async function expectEveryLocationCovered(sku: string) {
  for (let k = 0; k < SHARDS; k++) {
    const part = await env.SKU.getByName(streamOf(sku, k)).counters(streamOf(sku, k));
    if (!part.ok) continue;
    for (const l of part.value.locations ?? []) expect(l.reserved + l.sold, `${l.location} on shard ${k}`).toBeLessThanOrEqual(l.onHand);
  }
}

describe('locations on a sharded SKU', () => {
  it('spreads each location over the shards; the counters sum them per location', async () => {
    const sku = uniqueSku('shloc');
    const after = await twoSitesOverShards(sku);
    expect(after).toMatchObject({
      sku, onHand: 60, available: 60, shards: SHARDS,
      locations: [
        { location: 'AMS-1', onHand: 40, reserved: 0, sold: 0, available: 40, fed: null },
        { location: 'EWR-1', onHand: 20, reserved: 0, sold: 0, available: 20, fed: null },
      ],
    });
    const sets = await Promise.all(Array.from({ length: SHARDS }, async (_, k) => (await shardEvents(sku, k)).filter((e) => e.type === 'StockSet')));
    expect(sets.map((events) => events.map((e) => [e.data.location, e.data.onHand]))).toEqual([
      [['AMS-1', 10], ['EWR-1', 5]], [['AMS-1', 10], ['EWR-1', 5]], [['AMS-1', 10], ['EWR-1', 5]], [['AMS-1', 10], ['EWR-1', 5]],
    ]);
    // Every shard sources its buyers by the location's region and priority.
    for (const events of sets) expect(events[1].data).toMatchObject({ location: 'EWR-1', region: 'us', priority: 1 });
  });

  it('150 concurrent buyers on one shard: each location sold out exactly, never more, by loans of its units', async () => {
    const sku = uniqueSku('shloc');
    await twoSitesOverShards(sku);
    const crowd = customersOn(2, 150, 'crowd');
    const responses = await Promise.all(crowd.map((customerId, i) => reserve(sku, { customerId, qty: 1, region: i % 3 === 0 ? 'us' : 'eu' }, `k-${i}`)));
    const created = responses.filter((r) => r.status === 201);
    for (const r of responses.filter((x) => x.status !== 201)) expect([409, 503]).toContain(r.status);
    expect(created.length).toBeLessThanOrEqual(60);
    const at = (location: string) => created.filter((r) => r.json.location === location).length;
    expect(at('AMS-1')).toBeLessThanOrEqual(40);
    expect(at('EWR-1')).toBeLessThanOrEqual(20);
    // Buyers after the burst take what is left: nothing stranded on another shard.
    let more = 0;
    for (let round = 0; round < 120 && (await counters(sku)).available > 0; round++) {
      const [customerId] = customersOn(2, 1, `late-${round}`);
      if ((await reserve(sku, { customerId, qty: 1 }, `late-${round}`)).status === 201) more++;
    }
    expect(created.length + more).toBe(60);
    expect(await counters(sku)).toMatchObject({
      onHand: 60, reserved: 60, available: 0,
      locations: [{ location: 'AMS-1', onHand: 40, reserved: 40 }, { location: 'EWR-1', onHand: 20, reserved: 20 }],
    });
    await expectEveryLocationCovered(sku);
    // Each loan names the location whose units it moved, in the lender's log and the borrower's.
    const borrowed = (await shardEvents(sku, 2)).filter((e) => e.type === 'StockBorrowed');
    expect(borrowed.length).toBeGreaterThan(0);
    for (const e of borrowed) expect(['AMS-1', 'EWR-1']).toContain(e.data.location);
  });

  it('a receipt at a location goes to shard 0, and a fed location is refused a hand-set figure before any shard moves', async () => {
    const sku = uniqueSku('shloc');
    await twoSitesOverShards(sku);
    const receipt = await call('POST', `/v1/admin/skus/${sku}/receipts`, { key: ADMIN, body: { qty: 3, location: 'EWR-1' }, headers: { 'idempotency-key': 'r-1' } });
    expect(receipt.status).toBe(200);
    expect(receipt.json.locations).toContainEqual({ location: 'EWR-1', onHand: 23, reserved: 0, sold: 0, available: 23, fed: null });
    expect((await shardEvents(sku, 0)).at(-1)).toMatchObject({ type: 'StockReceived', data: { qty: 3, location: 'EWR-1' } });

    expect((await movement(sku, 1, 'AMS-1', 2, 'receipt')).status).toBe(200);
    const handSet = await setStock(sku, { onHand: 10, location: 'AMS-1' });
    expect(handSet.status).toBe(409);
    expect(handSet.json.error).toMatchObject({ code: 'location_fed', message: 'stock at AMS-1 is fed by warehouse soap-1; post an adjustment instead' });
    for (let k = 1; k < SHARDS; k++) expect((await shardEvents(sku, k)).filter((e) => e.type === 'StockSet')).toHaveLength(2);
  });

  it('a count below what shard 0 holds brings the units home: free ones first, then committed ones, whose reservations give way', async () => {
    const sku = uniqueSku('shloc');
    await twoSitesOverShards(sku);
    expect((await movement(sku, 1, 'AMS-1', 0, 'receipt')).status).toBe(200);
    // 30 buyers of shard 1 from the eu: its 10 Amsterdam units, then its 5 Newark ones (the units it
    // holds come first, the buyer's region only orders them), then 15 Amsterdam units it borrows.
    const buyers = customersOn(1, 30, 'ams');
    for (const [i, customerId] of buyers.entries()) expect((await reserve(sku, { customerId, qty: 1, region: 'eu' }, `ams-${i}`)).status).toBe(201);
    expect((await counters(sku)).locations).toMatchObject([
      { location: 'AMS-1', onHand: 40, reserved: 25, available: 15 },
      { location: 'EWR-1', onHand: 20, reserved: 5, available: 15 },
    ]);

    // The stocktake finds 20 Amsterdam units: 20 fewer, more than shard 0 holds. It brings home the
    // 15 free ones, then recalls 5 committed ones from shard 1, whose holds give way there: shard 1
    // has no other location with units, so they are released (stock_shortfall), never oversold.
    const count = await movement(sku, 2, 'AMS-1', -20);
    expect(count.status).toBe(200);
    expect(count.json).toMatchObject({ applied: true });
    await runDurableObjectAlarm(env.SKU.getByName(streamOf(sku, 1)));
    const after = await counters(sku);
    expect(after.locations).toEqual([
      { location: 'AMS-1', onHand: 20, reserved: 20, sold: 0, available: 0, fed: { warehouse: 'soap-1', sequence: 2 } },
      { location: 'EWR-1', onHand: 20, reserved: 5, sold: 0, available: 15, fed: null },
    ]);
    await expectEveryLocationCovered(sku);
    const shard1 = await shardEvents(sku, 1);
    const recalled = shard1.filter((e) => e.type === 'StockLent' && e.data.cause);
    expect(recalled.map((e) => e.data)).toEqual([expect.objectContaining({ qty: 5, to: sku, location: 'AMS-1', cause: expect.objectContaining({ kind: 'warehouse', document: 'WMS-2' }) })]);
    expect(shard1.filter((e) => e.type === 'StockShortfall').map((e) => e.data)).toEqual([
      { location: 'AMS-1', short: 5, unresolved: 0, cause: expect.objectContaining({ document: 'WMS-2' }) },
    ]);
    const released = shard1.filter((e) => e.type === 'StockReleased');
    expect(released.map((e) => [e.data.reason, e.data.location])).toEqual(Array(5).fill(['stock_shortfall', 'AMS-1']));

    // The same document again changes nothing, and recalls nothing.
    const before = (await shardEvents(sku, 0)).length;
    expect((await movement(sku, 2, 'AMS-1', -15)).json).toMatchObject({ applied: false });
    expect(await shardEvents(sku, 0)).toHaveLength(before);
  });
});
