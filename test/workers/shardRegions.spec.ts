import { describe, expect, it } from 'vitest';
import { streamOf } from '../../src/domain/sku';
import { ADMIN, call, uniqueSku } from '../support/api';

/** Issue 25: a sharded SKU's layout names the regions its shards live in (Durable Object location hints). */
const setStock = (sku: string, body: object) => call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body });
const firstEvent = async (sku: string, shard: number) => (await call('GET', `/v1/admin/skus/${sku}/events?shard=${shard}&limit=1`, { key: ADMIN })).json.events[0];

describe('shard regions', () => {
  it('places a new sharded SKU over the configured regions, shard k in the (k mod R)-th, and shows where each lives', async () => {
    const sku = uniqueSku('placed');
    const set = await setStock(sku, { onHand: 80, shards: 8 });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ shards: 8, shardRegions: ['enam', 'wnam', 'weur', 'apac'] });
    const shards = await call('GET', `/v1/admin/skus/${sku}/shards`, { key: ADMIN });
    expect(shards.status).toBe(200);
    expect(shards.json.shards.map((s: { shard: number; region: string }) => [s.shard, s.region])).toEqual([
      [0, 'enam'], [1, 'wnam'], [2, 'weur'], [3, 'apac'], [4, 'enam'], [5, 'wnam'], [6, 'weur'], [7, 'apac'],
    ]);
    expect(await firstEvent(sku, 5)).toMatchObject({ type: 'StockSet', sku: streamOf(sku, 5), data: { shards: 8, shardRegions: ['enam', 'wnam', 'weur', 'apac'] } });
  });

  it('takes a SKU’s own regions, keeps them as the layout grows, and refuses a list that would move a placed shard', async () => {
    const sku = uniqueSku('own');
    expect((await setStock(sku, { onHand: 40, shards: 4, shardRegions: ['weur', 'eeur'] })).json.shardRegions).toEqual(['weur', 'eeur']);
    const grown = await setStock(sku, { onHand: 60, shards: 6 });
    expect(grown.status).toBe(200);
    expect(grown.json).toMatchObject({ shards: 6, shardRegions: ['weur', 'eeur'] });
    expect(await firstEvent(sku, 5)).toMatchObject({ data: { shards: 6, shardRegions: ['weur', 'eeur'] } });
    const moved = await setStock(sku, { onHand: 60, shardRegions: ['eeur', 'weur'] });
    expect(moved.status).toBe(400);
    expect(moved.json.error).toMatchObject({ code: 'invalid_command', message: 'shard 0 lives in weur: a placed shard cannot move' });
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json).toMatchObject({ onHand: 60, shardRegions: ['weur', 'eeur'] });
  });

  it('keeps strict failover limits on the shards a growing layout adds', async () => {
    const sku = uniqueSku('strict-grows');
    expect((await setStock(sku, { onHand: 40, shards: 4, failoverLimits: 'strict' })).json).toMatchObject({ failoverLimits: 'strict' });
    expect((await setStock(sku, { onHand: 80, shards: 8 })).status).toBe(200);
    expect(await firstEvent(sku, 7)).toMatchObject({ type: 'StockSet', data: { shards: 8, failoverLimits: 'strict' } });
  });

  it('refuses regions on an unsharded SKU and hints that are not location hints', async () => {
    const unsharded = await setStock(uniqueSku('cold'), { onHand: 5, shardRegions: ['enam'] });
    expect(unsharded.status).toBe(400);
    expect(unsharded.json.error.code).toBe('invalid_command');
    const unknown = await setStock(uniqueSku('nowhere'), { onHand: 5, shards: 2, shardRegions: ['us-east-1'] });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.code).toBe('invalid_request');
  });
});
