import { describe, expect, it } from 'vitest';
import { admin, item, RESERVATIONS, session, STOCK, useSapSimulators } from './support/sapSimulator';

/** Fault injection in front of the OData services, deterministic by a scripted random(). */

const { start } = useSapSimulators();
const HEADERS = `${RESERVATIONS}/A_ReservationDocumentHeader`;
const create = { body: { to_ReservationDocumentItem: [item('res_a', 1)] } };
/** Seven draws per call: latency, timeout, fault, late, duplicate, throttle, lost. */
const scripted = (draws: number[]) => () => draws.shift() ?? 0.5;

async function faulty(options: Parameters<ReturnType<typeof useSapSimulators>['start']>[0]) {
  const simulator = await start({ unstocked: 'unlimited', random: () => 0.5, ...options });
  const sap = session(simulator);
  await sap.fetchToken();
  const created = async () => ((await admin(simulator, 'GET', '/admin/reservations')).body as unknown[]).length;
  return { simulator, sap, created };
}

describe('fault injection', () => {
  it('throttleRate: 429 with Retry-After and an OData error, nothing applied; operations not listed are unharmed', async () => {
    const { sap, created } = await faulty({ faults: { throttleRate: 1, retryAfterSeconds: 3, operations: ['createReservation'] } });
    const throttled = await sap.call('POST', HEADERS, create);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect(throttled.body.error).toMatchObject({ code: 'TOO_MANY_REQUESTS', message: { lang: 'en', value: 'Too many requests: try again later, nothing was applied' } });
    expect(await created()).toBe(0);
    expect((await sap.call('GET', HEADERS)).status).toBe(200);
  });

  it('faultRate: 500 with an OData error, nothing applied', async () => {
    const { sap, created } = await faulty({ faults: { faultRate: 1, operations: ['createReservation'] } });
    const failed = await sap.call('POST', HEADERS, create);
    expect(failed.status).toBe(500);
    expect(failed.body.error.code).toBe('INJECTED_FAULT');
    expect(await created()).toBe(0);
  });

  it('a rate between 0 and 1 hits exactly when its scripted draw is below it', async () => {
    const draws = [0, 0.9, 0.9, 0.9, 0.9, 0.2, 0.9, 0, 0.9, 0.9, 0.9, 0.9, 0.7, 0.9];
    const { sap } = await faulty({ random: scripted(draws), faults: { throttleRate: 0.5, operations: ['createReservation'] } });
    expect((await sap.call('POST', HEADERS, create)).status).toBe(429);
    expect((await sap.call('POST', HEADERS, create)).status).toBe(201);
  });

  it('lostRate: applied, then the connection is dropped without an answer', async () => {
    const { sap, created } = await faulty({ faults: { lostRate: 1, operations: ['createReservation'] } });
    await expect(sap.call('POST', HEADERS, create)).rejects.toThrow();
    expect(await created()).toBe(1);
  });

  it('timeoutRate: held without an answer and nothing applied, until the caller gives up', async () => {
    const { simulator, created } = await faulty({ faults: { timeoutRate: 1, operations: ['readStock', 'createReservation'] } });
    const started = performance.now();
    const call = fetch(`${simulator.url}${STOCK}/A_MatlStkInAcctMod`, { headers: { authorization: `Basic ${Buffer.from('INVENTORY:spec-password').toString('base64')}` }, signal: AbortSignal.timeout(300) });
    await expect(call).rejects.toThrow(/aborted due to timeout/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await created()).toBe(0);
  });

  it('duplicateRate: applied twice, concurrently: a duplicate delivery creates two documents, and one of them is answered', async () => {
    const { sap, created } = await faulty({ faults: { duplicateRate: 1, operations: ['createReservation'] } });
    expect(['0000000001', '0000000002']).toContain((await sap.call('POST', HEADERS, create)).body.d.Reservation);
    expect(await created()).toBe(2);
  });

  it('lateRate: applied and answered only after lateMs', async () => {
    const { sap, created } = await faulty({ faults: { lateRate: 1, lateMs: 300, operations: ['createReservation'] } });
    const started = performance.now();
    expect((await sap.call('POST', HEADERS, create)).status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await created()).toBe(1);
  });

  it('an outage answers every service call 503 with Retry-After; the admin API and /healthz stay up', async () => {
    const { simulator, sap } = await faulty({});
    expect(await admin(simulator, 'POST', '/admin/outage', { forMs: 60_000 })).toMatchObject({ status: 200 });
    for (const path of [`${RESERVATIONS}/$metadata`, HEADERS, `${STOCK}/A_MatlStkInAcctMod`]) {
      const res = await sap.call('GET', path);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(55);
    }
    expect((await fetch(`${simulator.url}/healthz`)).status).toBe(200);
    await admin(simulator, 'PUT', '/admin/faults', { outageUntil: 0 });
    expect((await sap.call('GET', HEADERS)).status).toBe(200);
  });

  it('PUT /admin/faults merges a partial change and refuses a bad one with the issues', async () => {
    const { simulator } = await faulty({});
    const changed = await admin(simulator, 'PUT', '/admin/faults', { throttleRate: 0.25, operations: ['readStock'] });
    expect(changed).toEqual({
      status: 200,
      body: {
        latencyMs: { min: 0, max: 0 },
        timeoutRate: 0,
        faultRate: 0,
        duplicateRate: 0,
        lateRate: 0,
        lateMs: 5_000,
        outageUntil: 0,
        operations: ['readStock'],
        throttleRate: 0.25,
        retryAfterSeconds: 1,
        lostRate: 0,
      },
    });
    expect(await admin(simulator, 'GET', '/admin/faults')).toEqual(changed);
    const bad = await admin(simulator, 'PUT', '/admin/faults', { throttleRate: 2, operations: ['AllocateStock'] });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', details: { issues: [{ path: 'operations.0' }, { path: 'throttleRate' }] } } } });
  });
});
