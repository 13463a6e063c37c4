import { describe, expect, it } from 'vitest';
import { homeShard, regionOfShard, shardOfReservation, streamOf, type ShardRegion } from '../../src/domain/sku';
import { ADMIN, call, uniqueSku } from '../support/api';

/** Issue 25, ADR 0022: a region lost mid-sale; the edge re-homes its buyers to siblings in other regions. */
const REGIONS: ShardRegion[] = ['enam', 'weur'];
const SHARDS = 8;
const setStock = (sku: string, body: object) => call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body });
const faults = (sku: string, regionsDown: ShardRegion[], mode = 'unreachable') => call('PUT', `/v1/admin/skus/${sku}/faults`, { key: ADMIN, body: { regionsDown, mode } });
// no-cache: every attempt asks the objects (the edge's sold-out memory, ADR 0020, is not what is tested here).
const reserve = (sku: string, customerId: string, key: string, qty = 1) =>
  call('POST', `/v1/skus/${sku}/reservations`, { body: { customerId, qty }, headers: { 'idempotency-key': key, 'cache-control': 'no-cache' } });
const counters = async (sku: string) => (await call('GET', `/v1/skus/${sku}?consistent=true`)).json;
const shardEvents = async (sku: string, shard: number) => (await call('GET', `/v1/admin/skus/${sku}/events?shard=${shard}&limit=1000`, { key: ADMIN })).json.events as any[];
const regionOf = (shard: number) => regionOfShard(REGIONS, shard);

/** Customers whose home shard lives in `region`, named with `prefix`. */
function customersIn(region: ShardRegion, count: number, prefix: string): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i++) if (regionOf(homeShard(`${prefix}-${i}`, SHARDS)) === region) found.push(`${prefix}-${i}`);
  return found;
}

async function shardedSku(prefix: string, onHand: number, limitPerCustomer: number | null = null): Promise<string> {
  const sku = uniqueSku(prefix);
  expect((await setStock(sku, { onHand, shards: SHARDS, shardRegions: REGIONS, limitPerCustomer })).status).toBe(200);
  // This isolate learns the layout (and its regions) from a first reserve, as every isolate does.
  expect((await reserve(sku, `${prefix}-warm`, `${prefix}-warm`)).status).toBe(201);
  return sku;
}

describe('failover at the edge when a region is lost', () => {
  it('serves buyers whose home is in the lost region from a sibling in another region, recorded as re-homed', async () => {
    const sku = await shardedSku('rehome', 80);
    const down = await faults(sku, ['weur']);
    expect(down.status).toBe(200);
    expect(down.json.shards.map((s: { mode: string }) => s.mode)).toEqual(['none', 'unreachable', 'none', 'unreachable', 'none', 'unreachable', 'none', 'unreachable']);
    for (const customerId of customersIn('weur', 6, 'lost')) {
      const res = await reserve(sku, customerId, `k-${customerId}`);
      expect(res.status).toBe(201);
      const servedBy = shardOfReservation(res.json.reservationId);
      expect(regionOf(servedBy)).toBe('enam');
      const event = (await shardEvents(sku, servedBy)).find((e) => e.data.reservationId === res.json.reservationId);
      expect(event).toMatchObject({ type: 'StockReserved', data: { customerId, rehomedFrom: homeShard(customerId, SHARDS) } });
    }
    // Buyers at home in the live region are served at home, as ever.
    const [local] = customersIn('enam', 1, 'home');
    const res = await reserve(sku, local!, 'k-home');
    expect(shardOfReservation(res.json.reservationId)).toBe(homeShard(local!, SHARDS));
    expect((await faults(sku, [])).json.shards.every((s: { mode: string }) => s.mode === 'none')).toBe(true);
  });

  it('a retry under the same key during the outage gets the same reservation', async () => {
    const sku = await shardedSku('retry', 40);
    await faults(sku, ['weur']);
    const [customerId] = customersIn('weur', 1, 'again');
    const first = await reserve(sku, customerId!, 'same-key');
    const second = await reserve(sku, customerId!, 'same-key');
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.json.reservationId).toBe(first.json.reservationId);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    // Once the region is back (and the isolate tries the home again, after its breaker's 5 s), a
    // retry still gets the reservation the sibling made: it asks the sibling before the home.
    await faults(sku, []);
    await new Promise((resolve) => setTimeout(resolve, 5_100));
    const late = await reserve(sku, customerId!, 'same-key');
    expect(late.status).toBe(201);
    expect(late.json.reservationId).toBe(first.json.reservationId);
    // A first attempt now goes home, as ever.
    const fresh = await reserve(sku, customerId!, 'new-key');
    expect(shardOfReservation(fresh.json.reservationId)).toBe(homeShard(customerId!, SHARDS));
  });

  it('never oversells: the lost region\'s units are refused, not sold, and are sold once it is back (none stranded)', async () => {
    const sku = await shardedSku('strand', 16);
    await faults(sku, ['weur']);
    const answers: number[] = [];
    for (const [i, customerId] of customersIn('enam', 30, 'buyer').entries()) answers.push((await reserve(sku, customerId, `b-${i}`)).status);
    // 16 units, 8 on the enam shards (less the warm-up buyer's, if its home is there): only those can be sold now.
    const warmAtHome = regionOf(homeShard('strand-warm', SHARDS)) === 'enam' ? 1 : 0;
    expect(answers.filter((s) => s === 201)).toHaveLength(8 - warmAtHome);
    // The rest are refused as sold out (true: nothing reachable is left), never a 5xx.
    expect(answers.filter((s) => s !== 201 && s !== 409)).toEqual([]);
    await faults(sku, []);
    // Once back, its units sell again: to the shards that found it down, after their breaker's 5 s.
    const back = Date.now();
    let sold = 0;
    for (let round = 0; sold < 8 - (1 - warmAtHome) && Date.now() - back < 15_000; round++) {
      for (const [i, customerId] of customersIn('enam', 8, `after-${round}`).entries()) if ((await reserve(sku, customerId, `a-${round}-${i}`)).status === 201) sold++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(sold).toBe(8 - (1 - warmAtHome));
    expect(await counters(sku)).toMatchObject({ onHand: 16, reserved: 16, available: 0 });
  });

  it('a re-homed customer exceeds the per-customer limit by at most one limit', async () => {
    const sku = await shardedSku('limit', 80, 2);
    const [customerId] = customersIn('weur', 1, 'greedy');
    expect((await reserve(sku, customerId!, 'g-1', 2)).status).toBe(201);
    expect((await reserve(sku, customerId!, 'g-2', 1)).json.error.code).toBe('customer_limit');
    await faults(sku, ['weur']);
    expect((await reserve(sku, customerId!, 'g-3', 2)).status).toBe(201);
    expect((await reserve(sku, customerId!, 'g-4', 1)).json.error.code).toBe('customer_limit');
    await faults(sku, []);
  });

  it('with strict limits, a re-homed customer is told to come back (503, Retry-After) instead of being served past the limit', async () => {
    const sku = uniqueSku('strict');
    expect((await setStock(sku, { onHand: 40, shards: SHARDS, shardRegions: REGIONS, limitPerCustomer: 2, failoverLimits: 'strict' })).json).toMatchObject({ failoverLimits: 'strict' });
    expect((await reserve(sku, 'strict-warm', 'strict-warm')).status).toBe(201);
    await faults(sku, ['weur']);
    const [customerId] = customersIn('weur', 1, 'exact');
    const refused = await reserve(sku, customerId!, 's-1');
    expect(refused.status).toBe(503);
    expect(refused.json.error.code).toBe('overloaded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(5);
    // Buyers at home in the live region are served as ever.
    const [local] = customersIn('enam', 1, 'exact-home');
    expect((await reserve(sku, local!, 's-2')).status).toBe(201);
    await faults(sku, []);
  });

  it('a home that hangs is given up after the failover bound (503: it may still commit), and later buyers skip it at once', async () => {
    const sku = await shardedSku('hang', 40);
    await faults(sku, ['weur'], 'hang');
    const [first, second] = customersIn('weur', 2, 'slow');
    const started = Date.now();
    const givenUp = await reserve(sku, first!, 'h-1');
    expect(givenUp.status).toBe(503);
    expect(givenUp.json.error.code).toBe('overloaded');
    expect(givenUp.headers.get('retry-after')).not.toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    const again = Date.now();
    // Same home shard? Not necessarily: its breaker or a sibling's, either way no wait for the bound.
    const res = await reserve(sku, homeShard(second!, SHARDS) === homeShard(first!, SHARDS) ? second! : first!, 'h-2');
    expect(res.status).toBe(201);
    expect(Date.now() - again).toBeLessThan(1_000);
    await faults(sku, []);
    expect(streamOf(sku, 0)).toBe(sku);
  });
});
