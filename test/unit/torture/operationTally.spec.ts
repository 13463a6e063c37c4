import { afterEach, describe, expect, it, vi } from 'vitest';

import { StorefrontClient } from '../../../torture/client';
import { attemptOf, codeOf, honestAvailability, type FaultWindow } from '../../../torture/operationTally';

const overloaded = { error: { code: 'overloaded' } };
const T0 = 1_000_000;

describe('honest availability per torture operation', () => {
  it('a 503 overloaded then a 201 within 2 s of the first request is available', () => {
    const op = attemptOf(T0, [{ atMs: T0 + 5, status: 503, code: codeOf(overloaded) }, { atMs: T0 + 1_900, status: 201 }]);
    expect(op).toEqual({ startedMs: T0, endedMs: T0 + 1_900, definitive: true });
    expect(honestAvailability([op], []).overall).toMatchObject({ attempts: 1, available: 1, late: 0, unanswered: 0, availability: 1 });
  });

  it('a 503 overloaded then a 201 2.5 s after the first request is late, not available', () => {
    const op = attemptOf(T0, [{ atMs: T0 + 5, status: 503, code: 'overloaded' }, { atMs: T0 + 2_500, status: 201 }]);
    expect(honestAvailability([op], []).overall).toMatchObject({ attempts: 1, available: 0, late: 1, unanswered: 0, availability: 0 });
  });

  it('a timeout, a final 503, a 429 and an internal error are unanswered; a true refusal is an answer', () => {
    const timeout = attemptOf(T0, [{ atMs: T0 + 15_000, status: null }]);
    const gaveUpOn503 = attemptOf(T0, [{ atMs: T0 + 100, status: 503, code: 'overloaded' }, { atMs: T0 + 200, status: 503, code: 'overloaded' }]);
    const rateLimited = attemptOf(T0, [{ atMs: T0 + 10, status: 429, code: 'rate_limited' }]);
    const internal = attemptOf(T0, [{ atMs: T0 + 10, status: 500, code: 'internal' }]);
    const soldOut = attemptOf(T0, [{ atMs: T0 + 10, status: 409, code: 'insufficient_stock' }]);
    const { overall } = honestAvailability([timeout, gaveUpOn503, rateLimited, internal, soldOut], []);
    expect(overall).toMatchObject({ attempts: 5, available: 1, late: 0, unanswered: 4, availability: 0.2 });
  });

  it('only the final try decides: an unanswered first try then a 200 is an answer', () => {
    expect(attemptOf(T0, [{ atMs: T0 + 300, status: null }, { atMs: T0 + 800, status: 200 }]).definitive).toBe(true);
    expect(attemptOf(T0, []).definitive).toBe(false);
  });

  it('splits operations by whether they overlapped a fault window, and by the fault', () => {
    const restart: FaultWindow = { kind: 'edge-restart', fromMs: T0 + 10_000, toMs: T0 + 12_000 };
    const outage: FaultWindow = { kind: 'wms-outage', fromMs: T0 + 30_000, toMs: T0 + 38_000 };
    const ops = [
      // Began before the restart, retried through it, answered after it came back: overlaps, late.
      attemptOf(T0 + 9_500, [{ atMs: T0 + 10_100, status: null }, { atMs: T0 + 12_400, status: 201 }]),
      // Began during the restart and never answered.
      attemptOf(T0 + 11_000, [{ atMs: T0 + 26_000, status: null }]),
      // Inside the warehouse outage, answered at once.
      attemptOf(T0 + 31_000, [{ atMs: T0 + 31_050, status: 201 }]),
      // Ended just before the restart, began just after it: outside.
      attemptOf(T0 + 9_000, [{ atMs: T0 + 9_999, status: 201 }]),
      attemptOf(T0 + 12_001, [{ atMs: T0 + 12_030, status: 409, code: 'insufficient_stock' }]),
    ];
    const result = honestAvailability(ops, [restart, outage]);
    expect(result.overall).toMatchObject({ attempts: 5, available: 3, late: 1, unanswered: 1 });
    expect(result.duringFaults).toMatchObject({ attempts: 3, available: 1, late: 1, unanswered: 1 });
    expect(result.outsideFaults).toMatchObject({ attempts: 2, available: 2, late: 0, unanswered: 0, availability: 1 });
    expect(result.byFault['edge-restart']).toMatchObject({ attempts: 2, available: 0, late: 1, unanswered: 1, availability: 0 });
    expect(result.byFault['wms-outage']).toMatchObject({ attempts: 1, available: 1 });
    expect(result.duringFaults.availability).toBeCloseTo(1 / 3);
    // How long they took, first request to final answer: 2,900, 15,000 and 50 ms.
    expect(result.duringFaults).toMatchObject({ p50Ms: 2_900, p99Ms: 15_000, maxMs: 15_000 });
    expect(honestAvailability([], []).overall).toMatchObject({ p50Ms: null, p99Ms: null, maxMs: null });
  });

  it('no operations is full availability (nothing was refused)', () => {
    expect(honestAvailability([], []).overall.availability).toBe(1);
  });
});

describe('the storefront client records each send as one operation', () => {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

  /** A client against a fetch that answers 503 overloaded (Retry-After 2 s), then 201 after `secondTakesMs`. */
  async function overloadedThenCreated(secondTakesMs: number) {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    let calls = 0;
    vi.stubGlobal('fetch', async () => {
      if (++calls === 1) return answer(503, overloaded, { 'retry-after': '2' });
      await new Promise((r) => setTimeout(r, secondTakesMs));
      return answer(201, { reservationId: 'r1' });
    });
    const client = new StorefrontClient(() => 'http://edge.test', () => false);
    const sent = client.send('POST', '/v1/skus/s/reservations', 'key', { qty: 1 }, { 'idempotency-key': 'k1' });
    await vi.runAllTimersAsync();
    expect((await sent).status).toBe(201);
    return client;
  }

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('a 503 then a 201 within 2 s is one available operation (two requests, one overload answer)', async () => {
    const client = await overloadedThenCreated(0);
    expect(client.tally).toMatchObject({ requests: 2, overloaded: 1 });
    expect(client.operations).toHaveLength(1);
    expect(honestAvailability(client.operations, []).overall).toMatchObject({ attempts: 1, available: 1 });
  });

  it('a 503 then a 201 2.5 s after the first request is one late operation', async () => {
    const client = await overloadedThenCreated(500);
    expect(client.operations[0]!.endedMs - client.operations[0]!.startedMs).toBe(2_500);
    expect(honestAvailability(client.operations, []).overall).toMatchObject({ attempts: 1, available: 0, late: 1 });
  });
});
