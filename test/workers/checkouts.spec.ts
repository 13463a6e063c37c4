import { env } from 'cloudflare:workers';
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, createSku, eventsOf, uniqueSku } from '../support/api';

const checkout = (body: unknown, key: string) => call('POST', '/v1/checkouts', { body, headers: { 'idempotency-key': key } });
const counters = async (sku: string) => (await call('GET', `/v1/skus/${sku}?consistent=true`)).json;

describe('multi-SKU checkout', () => {
  it('reserves every line, lines of one SKU merged and in SKU order, each caused by the checkout', async () => {
    const [a, b] = [uniqueSku('co-b'), uniqueSku('co-a')].sort();
    await createSku(a!, 10);
    await createSku(b!, 10);
    const res = await checkout({ customerId: 'ann', lines: [{ sku: b, qty: 1 }, { sku: a, qty: 2 }, { sku: b, qty: 2 }] }, 'k1');
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ customerId: 'ann', status: 'reserved', refusal: null });
    expect(res.json.checkoutId).toMatch(/^chk_[0-9a-f]{32}$/);
    expect(res.json.lines.map((l: any) => [l.sku, l.qty, l.state])).toEqual([[a, 2, 'held'], [b, 3, 'held']]);
    expect((await counters(a!)).reserved).toBe(2);
    expect((await counters(b!)).reserved).toBe(3);
    // The first line is caused by the checkout's start; the second also by the first line's reservation.
    const reservedA = (await eventsOf(a!)).find((e) => e.type === 'StockReserved');
    expect(reservedA.causedBy).toEqual({ [`checkout:${res.json.checkoutId}`]: 1 });
    const reservedB = (await eventsOf(b!)).find((e) => e.type === 'StockReserved');
    expect(reservedB.causedBy).toEqual({ [`checkout:${res.json.checkoutId}`]: 2, [`sku:${a}`]: reservedA.version });

    const view = await call('GET', `/v1/checkouts/${res.json.checkoutId}?customerId=ann`);
    expect({ ...view.json, lines: view.json.lines.map(({ reservation: _r, ...line }: any) => line) }).toEqual(res.json);
    expect(view.json.lines.map((l: any) => [l.reservation.status, l.reservation.allocation])).toEqual([['held', 'pending'], ['held', 'pending']]);
    expect((await call('GET', `/v1/checkouts/${res.json.checkoutId}?customerId=bob`)).json.error.code).toBe('checkout_not_found');
  });

  it('a refused line releases the lines already held (cancelled, caused by the checkout) and answers 409; nothing stays held', async () => {
    const [a, b] = [uniqueSku('co-x'), uniqueSku('co-y')].sort();
    await createSku(a!, 10);
    await createSku(b!, 1);
    const res = await checkout({ customerId: 'cy', lines: [{ sku: a, qty: 3 }, { sku: b, qty: 2 }] }, 'k2');
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('checkout_refused');
    expect(res.json.error.details).toMatchObject({ sku: b, reason: 'insufficient_stock', details: { available: 1 } });
    expect((await counters(a!)).reserved).toBe(0);
    expect((await counters(b!)).reserved).toBe(0);
    const released = (await eventsOf(a!)).filter((e) => e.type === 'StockReleased');
    expect(released).toHaveLength(1);
    expect(released[0].data.reason).toBe('cancelled');
    expect(Object.keys(released[0].causedBy)).toContain(`checkout:${res.json.error.details.checkoutId}`);
    // The same request again: the same answer, replayed, still nothing held.
    const again = await checkout({ customerId: 'cy', lines: [{ sku: a, qty: 3 }, { sku: b, qty: 2 }] }, 'k2');
    expect(again.status).toBe(409);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await counters(a!)).reserved).toBe(0);
  });

  it('idempotent by key: the same cart answers the same checkout; another cart under that key is 422', async () => {
    const sku = uniqueSku('co-idem');
    await createSku(sku, 10);
    const first = await checkout({ customerId: 'dee', lines: [{ sku, qty: 1 }] }, 'same');
    const second = await checkout({ customerId: 'dee', lines: [{ sku, qty: 1 }] }, 'same');
    expect(second.json).toEqual(first.json);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await counters(sku)).reserved).toBe(1);
    expect((await checkout({ customerId: 'dee', lines: [{ sku, qty: 2 }] }, 'same')).status).toBe(422);
  });

  it('complete buys every line; cancel releases every line; each is idempotent and guarded', async () => {
    const [a, b] = [uniqueSku('co-c1'), uniqueSku('co-c2')].sort();
    await createSku(a!, 5);
    await createSku(b!, 5);
    const bought = (await checkout({ customerId: 'eve', lines: [{ sku: a, qty: 1 }, { sku: b, qty: 1 }] }, 'buy')).json;
    const done = await call('POST', `/v1/checkouts/${bought.checkoutId}/complete`, { body: { customerId: 'eve' } });
    expect(done.json.status).toBe('completed');
    expect(done.json.lines.map((l: any) => l.state)).toEqual(['completed', 'completed']);
    expect((await counters(a!)).sold).toBe(1);
    expect((await call('DELETE', `/v1/checkouts/${bought.checkoutId}?customerId=eve`)).json.error.code).toBe('checkout_conflict');

    const dropped = (await checkout({ customerId: 'eve', lines: [{ sku: a, qty: 2 }, { sku: b, qty: 2 }] }, 'drop')).json;
    const cancelled = await call('DELETE', `/v1/checkouts/${dropped.checkoutId}?customerId=eve`);
    expect(cancelled.json.status).toBe('cancelled');
    expect((await call('DELETE', `/v1/checkouts/${dropped.checkoutId}?customerId=eve`)).json.status).toBe('cancelled');
    expect((await counters(a!)).reserved).toBe(0);
    expect((await call('POST', `/v1/checkouts/${dropped.checkoutId}/complete`, { body: { customerId: 'eve' } })).json.error.code).toBe('checkout_conflict');
  });

  it('bad carts are 4xx and hold nothing', async () => {
    const sku = uniqueSku('co-bad');
    await createSku(sku, 50);
    const bad = [
      { customerId: 'f', lines: [] },
      { customerId: 'f', lines: Array.from({ length: 51 }, (_, i) => ({ sku: `S-${i}`, qty: 1 })) },
      { customerId: 'f', lines: [{ sku, qty: 0 }] },
      { customerId: 'f', lines: [{ sku, qty: 6_000 }, { sku, qty: 6_000 }] },
      { customerId: 'f', lines: [{ sku: '-bad', qty: 1 }] },
      { customerId: 'f', lines: [{ sku, qty: 1 }], extra: true },
    ];
    for (const [i, body] of bad.entries()) {
      const res = await checkout(body, `bad-${i}`);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    const unknown = await checkout({ customerId: 'f', lines: [{ sku, qty: 1 }, { sku: uniqueSku('zz-none'), qty: 1 }] }, 'unknown');
    expect(unknown.status).toBe(409);
    expect(unknown.json.error.details.reason).toBe('sku_not_found');
    expect((await counters(sku)).reserved).toBe(0);
  });

  it('concurrent checkouts over overlapping scarce SKUs: each all or nothing, nothing oversold, nothing left held', async () => {
    const skus = [uniqueSku('race-a'), uniqueSku('race-b'), uniqueSku('race-c')].sort();
    for (const sku of skus) await createSku(sku, 6);
    const carts = Array.from({ length: 24 }, (_, i) => ({
      customerId: `buyer-${i}`,
      lines: [
        { sku: skus[i % 3]!, qty: 1 + (i % 2) },
        { sku: skus[(i + 1) % 3]!, qty: 1 },
      ],
    }));
    const results = await Promise.all(carts.map((cart, i) => checkout(cart, `race-${i}`)));
    const held = new Map(skus.map((s) => [s, 0]));
    for (const [i, res] of results.entries()) {
      expect([201, 409], JSON.stringify(res.json)).toContain(res.status);
      if (res.status === 201) for (const line of carts[i]!.lines) held.set(line.sku, held.get(line.sku)! + line.qty);
    }
    expect(results.some((r) => r.status === 201)).toBe(true);
    expect(results.some((r) => r.status === 409)).toBe(true);
    for (const sku of skus) {
      const view = await counters(sku);
      expect(view.reserved, sku).toBe(held.get(sku));
      expect(view.available).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('checkout coordinator restarts', () => {
  it('stopped after a SKU committed a line but before the checkout recorded it: the alarm resumes from the log to the same end state, nothing twice', async () => {
    const [a, b] = [uniqueSku('evict-a'), uniqueSku('evict-b')].sort();
    await createSku(a!, 5);
    await createSku(b!, 5);
    const id = `chk_${'7'.repeat(31)}${Math.floor(Math.random() * 10)}`;
    const lines = [{ sku: a!, qty: 2 }, { sku: b!, qty: 1 }];
    const started = { checkoutId: id, customerId: 'gus', lines, ttlSeconds: 300, requestHash: 'h' };
    // What a crashed run left behind: the start in the checkout's log, and line A already held at its SKU.
    const heldA = await env.SKU.getByName(a!).reserve(
      { sku: a!, customerId: 'gus', qty: 2, ttlSeconds: 300, causedBy: { [`checkout:${id}`]: 1 } },
      { scope: `checkout\n${id}\n${a}`, requestHash: 'gus\n2\n300' },
    );
    const stub = env.CHECKOUT.getByName(id);
    await runInDurableObject(stub, async (_instance: unknown, state) => {
      state.storage.sql.exec("INSERT INTO events (version, type, data, at) VALUES (1, 'CheckoutStarted', ?, ?)", JSON.stringify(started), new Date().toISOString());
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    // The alarm starts from the log alone, as a new instance after an eviction does.
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    const view = await call('GET', `/v1/checkouts/${id}?customerId=gus`);
    expect(view.json.status).toBe('reserved');
    expect(view.json.lines[0].reservationId).toBe(heldA.ok ? heldA.value.reservationId : null);
    expect((await counters(a!)).reserved).toBe(2);
    expect((await counters(b!)).reserved).toBe(1);
  });
});

describe('a line whose reserve committed at its SKU but whose answer never reached the coordinator', () => {
  /**
   * What a lost answer leaves behind (the call to the SKU object failed after its commit): the
   * checkout's log knows line A is held and line B still pending, while SKU B holds B's units under
   * the checkout's idempotency scope. No alarm has run yet: the buyer's cancel comes first.
   */
  async function lostAnswer(prefix: string, bReachedItsSku: boolean) {
    const [a, b] = [uniqueSku(`${prefix}-a`), uniqueSku(`${prefix}-b`)].sort();
    await createSku(a!, 5);
    await createSku(b!, 5);
    // One object per test (storage is shared by the file's tests): a random digit collided 1 time in 10.
    const id = `chk_${crypto.randomUUID().replaceAll('-', '')}`;
    const reserveLine = (sku: string, qty: number, causedBy: Record<string, number>) =>
      env.SKU.getByName(sku).reserve(
        { sku, customerId: 'hal', qty, ttlSeconds: 300, causedBy },
        { scope: `checkout\n${id}\n${sku}`, requestHash: `hal\n${qty}\n300` },
      );
    const heldA = await reserveLine(a!, 2, { [`checkout:${id}`]: 1 });
    if (!heldA.ok) throw new Error('line A not reserved');
    if (bReachedItsSku) await reserveLine(b!, 1, { [`checkout:${id}`]: 2, [`sku:${a}`]: heldA.value.version });
    const log = [
      ['CheckoutStarted', { checkoutId: id, customerId: 'hal', lines: [{ sku: a, qty: 2 }, { sku: b, qty: 1 }], ttlSeconds: 300, requestHash: 'h' }],
      ['LineReserved', { sku: a, reservationId: heldA.value.reservationId, skuVersion: heldA.value.version }],
    ] as const;
    const stub = env.CHECKOUT.getByName(id);
    await runInDurableObject(stub, async (_instance: unknown, state) => {
      log.forEach(([type, data], i) => state.storage.sql.exec('INSERT INTO events (version, type, data, at) VALUES (?, ?, ?, ?)', i + 1, type, JSON.stringify(data), new Date().toISOString()));
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    // A new instance, as after the failed call: it knows only its log.
    await evictDurableObject(stub);
    return { a: a!, b: b!, id, reserveLine };
  }

  it('cancelled before the coordinator retried: the pending line is found at its SKU by the idempotency scope and released', async () => {
    const { a, b, id } = await lostAnswer('lost', true);
    const cancelled = await call('DELETE', `/v1/checkouts/${id}?customerId=hal`);
    expect(cancelled.json.status).toBe('cancelled');
    expect((await counters(a)).reserved).toBe(0);
    expect((await counters(b)).reserved).toBe(0);
    const [reservedB] = (await eventsOf(b)).filter((e) => e.type === 'StockReserved');
    expect(cancelled.json.lines.map((l: any) => [l.sku, l.state, l.reservationId])).toEqual([
      [a, 'released', expect.any(String)],
      [b, 'released', reservedB.data.reservationId],
    ]);
    const releasedB = (await eventsOf(b)).filter((e) => e.type === 'StockReleased');
    expect(releasedB.map((e) => [e.data.reservationId, e.data.reason])).toEqual([[reservedB.data.reservationId, 'cancelled']]);
    expect(Object.keys(releasedB[0].causedBy)).toContain(`checkout:${id}`);
  });

  it('cancelled before the reserve reached its SKU: the scope is closed, so the reserve arriving later holds nothing', async () => {
    const { b, id, reserveLine } = await lostAnswer('late', false);
    expect((await call('DELETE', `/v1/checkouts/${id}?customerId=hal`)).json.status).toBe('cancelled');
    const late = await reserveLine(b, 1, { [`checkout:${id}`]: 2 });
    expect(late).toMatchObject({ ok: false, error: { code: 'reservation_abandoned' } });
    expect((await counters(b)).reserved).toBe(0);
    expect((await eventsOf(b)).filter((e) => e.type === 'StockReserved')).toEqual([]);
  });
});
