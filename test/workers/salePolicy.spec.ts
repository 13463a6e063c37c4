import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { streamOf } from '../../src/domain/sku';
import { ADMIN, call, eventsOf, reserve, uniqueSku } from '../support/api';
import { edgeWith } from './edgeWith';

/** Issue 26: a SKU's sale policy, set with its stock and enforced by its object(s), through the routes. */
const setStock = (sku: string, body: object, edge = call) => edge('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body });
const NO_RULES = { maxQtyPerReservation: null, maxHoldSeconds: null, defaultHoldSeconds: null, startsAt: null };
const heldFor = (reservation: { expiresAt: string }, sentAt: number) => Math.round((Date.parse(reservation.expiresAt) - sentAt) / 1000);

describe('a sale policy per SKU', () => {
  it('refuses reserves before the sale starts, answering when it starts, then sells from that instant', async () => {
    const sku = uniqueSku('drop');
    const startsAt = new Date(Date.now() + 60_000).toISOString();
    const set = await setStock(sku, { onHand: 10, policy: { startsAt } });
    expect(set.status).toBe(200);
    expect(set.json.policy).toEqual({ ...NO_RULES, startsAt });
    const early = await reserve(sku, { customerId: 'ann', qty: 1 }, 'early');
    expect(early.status).toBe(409);
    expect(early.json).toEqual({ error: { code: 'sale_not_started', message: `the sale opens at ${startsAt}`, details: { startsAt } } });
    // Opening the sale early: the admin removes the start.
    expect((await setStock(sku, { onHand: 10, policy: { startsAt: null } })).json).not.toHaveProperty('policy');
    expect((await reserve(sku, { customerId: 'ann', qty: 1 }, 'open')).status).toBe(201);
    expect((await eventsOf(sku)).filter((e) => e.type === 'StockReserved')).toHaveLength(1);
  });

  it('refuses more units per reservation than the maximum, and holds no longer than the maximum, its own default when none is asked', async () => {
    const sku = uniqueSku('rules');
    const policy = { maxQtyPerReservation: 2, maxHoldSeconds: 120, defaultHoldSeconds: 60 };
    expect((await setStock(sku, { onHand: 10, policy })).json.policy).toEqual({ ...NO_RULES, ...policy });
    const many = await reserve(sku, { customerId: 'bob', qty: 3 }, 'many');
    expect(many.status).toBe(409);
    expect(many.json).toEqual({ error: { code: 'qty_over_maximum', message: 'at most 2 unit(s) per reservation', details: { maxQtyPerReservation: 2 } } });
    let sentAt = Date.now();
    const defaulted = await reserve(sku, { customerId: 'bob', qty: 2 }, 'default');
    expect(defaulted.status).toBe(201);
    expect(heldFor(defaulted.json, sentAt)).toBe(60);
    sentAt = Date.now();
    const long = await reserve(sku, { customerId: 'cat', qty: 1, ttlSeconds: 3_600 }, 'long');
    expect(heldFor(long.json, sentAt)).toBe(120);
    sentAt = Date.now();
    const short = await reserve(sku, { customerId: 'dan', qty: 1, ttlSeconds: 30 }, 'short');
    expect(heldFor(short.json, sentAt)).toBe(30);
    // A default over the maximum is refused, and changes nothing.
    const wrong = await setStock(sku, { onHand: 10, policy: { defaultHoldSeconds: 600 } });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toEqual({ code: 'invalid_command', message: 'defaultHoldSeconds (600) must not exceed maxHoldSeconds (120)' });
  });

  it('applies to a checkout\'s lines: a line over the maximum refuses the checkout, nothing held', async () => {
    const [a, b] = [uniqueSku('cart-a'), uniqueSku('cart-b')];
    await setStock(a, { onHand: 10 });
    await setStock(b, { onHand: 10, policy: { maxQtyPerReservation: 1 } });
    const res = await call('POST', '/v1/checkouts', { body: { customerId: 'eve', lines: [{ sku: a, qty: 2 }, { sku: b, qty: 2 }] }, headers: { 'idempotency-key': 'cart-1' } });
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'checkout_refused', details: { sku: b, reason: 'qty_over_maximum', details: { maxQtyPerReservation: 1 } } });
    for (const sku of [a, b]) expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json.reserved).toBe(0);
  });

  it('is held by every shard of a sharded SKU, those a later layout adds included', async () => {
    const sku = uniqueSku('sharded');
    const policy = { maxQtyPerReservation: 1 };
    expect((await setStock(sku, { onHand: 40, shards: 2, policy })).status).toBe(200);
    expect((await setStock(sku, { onHand: 40, shards: 4 })).json.policy).toEqual({ ...NO_RULES, ...policy });
    for (let k = 0; k < 4; k++) {
      const part = await env.SKU.getByName(streamOf(sku, k)).counters(streamOf(sku, k));
      expect(part.ok && part.value.policy).toEqual({ ...NO_RULES, ...policy });
    }
    const many = await reserve(sku, { customerId: 'fay', qty: 2 }, 'many');
    expect(many.json.error.code).toBe('qty_over_maximum');
  });

  it('a partial change on a sharded SKU leaves every shard the same whole policy, new ones included; a refused reserve borrows nothing', async () => {
    const sku = uniqueSku('partial');
    const startsAt = new Date(Date.now() + 600_000).toISOString();
    expect((await setStock(sku, { onHand: 40, shards: 2, policy: { startsAt } })).status).toBe(200);
    const grown = await setStock(sku, { onHand: 40, shards: 4, policy: { maxQtyPerReservation: 2 } });
    expect(grown.json.policy).toEqual({ ...NO_RULES, startsAt, maxQtyPerReservation: 2 });
    for (let k = 0; k < 4; k++) {
      const part = await env.SKU.getByName(streamOf(sku, k)).counters(streamOf(sku, k));
      expect(part.ok && part.value.policy, `shard ${k}`).toEqual({ ...NO_RULES, startsAt, maxQtyPerReservation: 2 });
    }
    // Before the start, a reserve of more units than its shard holds is refused there, without a walk.
    const early = await reserve(sku, { customerId: 'gil', qty: 30 }, 'early');
    expect(early.json.error.code).toBe('sale_not_started');
    for (let k = 0; k < 4; k++) {
      const log = await call('GET', `/v1/admin/skus/${sku}/events?shard=${k}&limit=1000`, { key: ADMIN });
      expect(log.json.events.filter((e: { type: string }) => e.type === 'StockLent' || e.type === 'StockBorrowed'), `shard ${k}`).toEqual([]);
    }
  });

  it('gives a new SKU the configured per-customer limit when its first stock change names none', async () => {
    const edge = edgeWith({ DEFAULT_LIMIT_PER_CUSTOMER: '3' });
    const [fresh, open, existing] = [uniqueSku('limited'), uniqueSku('open'), uniqueSku('existing')];
    expect((await setStock(fresh, { onHand: 10 }, edge)).json.limitPerCustomer).toBe(3);
    expect((await setStock(open, { onHand: 10, limitPerCustomer: null }, edge)).json.limitPerCustomer).toBeNull();
    await setStock(existing, { onHand: 10 });
    expect((await setStock(existing, { onHand: 12 }, edge)).json.limitPerCustomer).toBeNull();
    const over = await reserve(fresh, { customerId: 'gus', qty: 4 }, 'over');
    expect(over.json.error).toMatchObject({ code: 'customer_limit', details: { limitPerCustomer: 3, activeUnits: 0 } });
  });
});
