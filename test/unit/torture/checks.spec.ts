import { describe, expect, it } from 'vitest';
import { skuCounters, evolve, initialSkuState, type SkuEvent } from '../../../src/domain/sku';
import { holdsByCheckout, judgeCheckout } from '../../../torture/checkoutHolds';
import { noOversell, type Folded } from '../../../torture/checks';
import { versionsBelow } from '../../../torture/rebuildCut';
import { rebuildIsolated } from '../../../torture/rebuildIsolated';
import { answeredWithout5xx, classify, emptyTally } from '../../../torture/tally';

/**
 * The torture checks can fail: each is fed what a product defect would leave behind. Which
 * mutation of the product each one catches in a real run is listed in docs/testing.md, torture test.
 */
const T0 = Date.parse('2026-11-25T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function log(sku: string, steps: [type: string, data: Record<string, unknown>, atMs: number, causedBy?: Record<string, number>][]): Folded {
  const events = steps.map(([type, data, ms, causedBy = {}], i) => ({ type, data, sku, version: i + 1, at: at(ms), causedBy }) as unknown as SkuEvent);
  return { sku, log: events, state: events.reduce(evolve, initialSkuState()), reservations: new Map() };
}

describe('no oversell', () => {
  it('a reservation past the stock (a decide without its stock check) is caught at its version', () => {
    const sold = log('S', [
      ['StockSet', { onHand: 2, limitPerCustomer: null }, 0],
      ['StockReserved', { reservationId: 'r1', customerId: 'c', qty: 2, expiresAt: at(9_000) }, 1],
      ['StockReserved', { reservationId: 'r2', customerId: 'd', qty: 1, expiresAt: at(9_000) }, 2],
    ]);
    expect(noOversell([sold]).violations).toEqual(['S v3: reserved 3 + sold 0 > onHand 2']);
  });
});

describe('checkout holds, right after the operations', () => {
  const stock: [string, Record<string, unknown>, number] = ['StockSet', { onHand: 10, limitPerCustomer: null }, 0];
  const reserved = (id: string, ms: number, checkout = 'chk_1'): [string, Record<string, unknown>, number, Record<string, number>] =>
    ['StockReserved', { reservationId: id, customerId: 'c', qty: 1, expiresAt: at(ms + 5_000) }, ms, { [`checkout:${checkout}`]: 1 }];
  const released = (id: string, ms: number, reason: string): [string, Record<string, unknown>, number] => ['StockReleased', { reservationId: id, qty: 1, reason, refundDue: false }, ms];

  it('finds holds by the checkout named in causedBy, including one the checkout never recorded', () => {
    const holds = holdsByCheckout([log('A', [stock, reserved('r1', 10), released('r1', 20, 'cancelled')]), log('B', [stock, reserved('r2', 15)])]);
    expect(holds.get('chk_1')).toEqual([
      { sku: 'A', reservationId: 'r1', releasedAt: T0 + 20, releaseReason: 'cancelled', completedAt: null },
      { sku: 'B', reservationId: 'r2', releasedAt: null, releaseReason: null, completedAt: null },
    ]);
  });

  it('a cancelled checkout whose lost line was released by its TTL, after the buyer was told "cancelled": a violation (the old end-of-run check saw it released)', () => {
    const holds = holdsByCheckout([log('B', [stock, reserved('r2', 10), released('r2', 5_010, 'expired')])]).get('chk_1')!;
    expect(judgeCheckout('chk_1', { status: 'cancelled', at: T0 + 100 }, holds, [])).toEqual([
      `checkout chk_1 cancelled at ${at(100)} held B r2 until ${at(5_010)} (expired)`,
    ]);
    // Released by the checkout before its answer: fine.
    expect(judgeCheckout('chk_1', { status: 'cancelled', at: T0 + 6_000 }, holds, [])).toEqual([]);
  });

  it('still held, reserved twice, or recorded without a SKU attributing it: violations', () => {
    const holds = holdsByCheckout([log('A', [stock, reserved('r1', 10), reserved('r3', 11)])]).get('chk_1')!;
    expect(judgeCheckout('chk_1', { status: 'failed', at: T0 + 50 }, holds, ['r1', 'r9'])).toEqual([
      'checkout chk_1: 2 reservations of A',
      'checkout chk_1 records r9, which no SKU log attributes to it',
      `checkout chk_1 failed at ${at(50)} still holds A r1`,
      `checkout chk_1 failed at ${at(50)} still holds A r3`,
    ]);
    // A reserved checkout may hold its lines.
    expect(judgeCheckout('chk_1', { status: 'reserved', at: T0 + 50 }, holds.slice(0, 1), ['r1'])).toEqual([]);
  });
});

describe('the rebuild in isolation', () => {
  const a = log('A', [
    ['StockSet', { onHand: 10, limitPerCustomer: null }, 0],
    ['StockReserved', { reservationId: 'r1', customerId: 'c', qty: 2, expiresAt: at(9_000) }, 1],
    ['StockReserved', { reservationId: 'r2', customerId: 'c', qty: 1, expiresAt: at(9_000) }, 2],
  ]);
  // Kafka: A's three events at offsets 0..2 of partition 0.
  const records = a.log.map((e, i) => ({ topic: 'inventory.events', partition: 0, offset: String(i), timestamp: 0, key: 'A', value: JSON.stringify(e) }));
  const counters = (version: number) => skuCounters(a.log.slice(0, version).reduce(evolve, initialSkuState()));
  const cut = { generation: 'g2', before: new Map([[0, '2']]), after: new Map([[0, '3']]) };

  it('the versions below a cut', () => {
    expect(versionsBelow(records, new Map([[0, '2']]))).toEqual(new Map([['A', 2]]));
    expect(versionsBelow(records, new Map())).toEqual(new Map());
  });

  it('what the rebuild sent must be the fold at a version within its cut', () => {
    expect(rebuildIsolated([a], cut, new Map([['A', counters(2)]]), records).violations).toEqual([]);
    expect(rebuildIsolated([a], cut, new Map([['A', counters(3)]]), records).violations).toEqual([]);
    // A replay that lost an event: right version, wrong counters (what live writes would have hidden in KV).
    const wrong = { ...counters(3), reserved: 2, available: 8 };
    expect(rebuildIsolated([a], cut, new Map([['A', wrong]]), records).violations[0]).toMatch(/^A v3: sent .* \(reserved, available\)$/);
    // Behind the cut, or not sent at all.
    expect(rebuildIsolated([a], cut, new Map([['A', counters(1)]]), records).violations).toEqual(['A: sent at v1, outside the cut (v2..v3)']);
    expect(rebuildIsolated([a], cut, new Map(), records).violations).toEqual(['A: not sent, though the log had v2 before the cut']);
  });
});

describe('the client tally', () => {
  it('only 503 overloaded with Retry-After is a 5xx the client may take calmly', () => {
    const overloaded = { error: { code: 'overloaded', message: 'busy' } };
    expect(classify(503, '1', overloaded)).toBe('overloaded');
    expect(classify(503, null, overloaded)).toBe('server_error');
    expect(classify(503, '1', { error: { code: 'internal' } })).toBe('server_error');
    expect(classify(500, null, 'an error page')).toBe('server_error');
    expect(classify(409, null, null)).toBe('answer');
  });

  it('answeredWithout5xx counts unanswered requests and bad 5xx against it, overload not', () => {
    expect(answeredWithout5xx({ ...emptyTally(), requests: 100, answered: 98, serverErrors: ['x'], overloaded: 5 })).toBe(0.97);
    expect(answeredWithout5xx(emptyTally())).toBe(1);
  });
});
