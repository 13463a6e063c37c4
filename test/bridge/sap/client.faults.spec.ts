import { describe, expect, it } from 'vitest';
import { clientOf, reservationItems, sapAdmin, useSapClients } from './support/sapClient';
import { failure, T } from '../support/wmsSimulator';

/**
 * The adapter under the simulator's faults: a reply lost after SAP applied the create, a create
 * applied twice or late, throttling, an outage, a call never answered (ADR 0017).
 */

const { start } = useSapClients();

describe('idempotent without a client key', () => {
  it('a lost reply: the create was applied, the call times out, and the retry finds the document instead of creating a second', async () => {
    const { simulator, client } = await start();
    await sapAdmin(simulator, 'PUT', '/admin/faults', { lostRate: 1, operations: ['createReservation'] });
    expect(await failure(client.allocate('res_lost', 'SKU-A', 2, T, 'FRA-1'))).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/^AllocateStock: no answer \(.+\); it may or may not have been applied$/) });
    const applied = await reservationItems(simulator, 'res_lost');
    expect(applied).toHaveLength(1);

    // Still lost for creates: the retry never needs one.
    expect(await client.allocate('res_lost', 'SKU-A', 2, T, 'FRA-1')).toEqual({ status: 'allocated', allocationId: applied[0]!.Reservation });
    expect(await reservationItems(simulator, 'res_lost')).toHaveLength(1);
    expect(await client.stockLevels(T, 'FRA-1')).toMatchObject([{ sku: 'SKU-A', allocated: 2 }]);
  });

  it('a lost reply to a delete: the retried cancel finds the document flagged and answers cancelled', async () => {
    const { simulator, client } = await start();
    await client.allocate('res_c', 'SKU-A', 1, T, 'FRA-1');
    await sapAdmin(simulator, 'PUT', '/admin/faults', { lostRate: 1, operations: ['deleteReservation'] });
    expect(await failure(client.cancel('res_c', T))).toMatchObject({ kind: 'timeout' });
    expect(await client.cancel('res_c', T)).toEqual({ status: 'cancelled' });
    expect(await reservationItems(simulator, 'res_c')).toMatchObject([{ ReservationItmIsMarkedForDeltn: true }]);
  });

  it('a create applied twice: the lowest document is the allocation, the younger one is deleted at once', async () => {
    const { simulator, client } = await start();
    await sapAdmin(simulator, 'PUT', '/admin/faults', { duplicateRate: 1, operations: ['createReservation'] });
    const answer = await client.allocate('res_dup', 'SKU-A', 2, T, 'FRA-1');
    const items = (await reservationItems(simulator, 'res_dup')).sort((a, b) => String(a.Reservation).localeCompare(String(b.Reservation)));
    expect(items.map((i) => i.ReservationItmIsMarkedForDeltn)).toEqual([false, true]);
    expect(answer).toEqual({ status: 'allocated', allocationId: items[0]!.Reservation });
    expect(await client.stockLevels(T, 'FRA-1')).toMatchObject([{ sku: 'SKU-A', allocated: 2 }]);
  });

  it('a create applied twice where the stock covers one: the copy answered with a stock refusal does not hide the one that holds the units', async () => {
    const { simulator, client } = await start({ defaultStock: 3 });
    await sapAdmin(simulator, 'PUT', '/admin/faults', { duplicateRate: 1, operations: ['createReservation'] });
    const answer = await client.allocate('res_dup1', 'SKU-A', 3, T, 'FRA-1');
    const live = (await reservationItems(simulator, 'res_dup1')).filter((i) => !i.ReservationItmIsMarkedForDeltn);
    expect(live).toHaveLength(1);
    expect(answer).toEqual({ status: 'allocated', allocationId: live[0]!.Reservation });
  });

  it('two allocates of one reference at once (both found nothing): both answer the lowest document, the other is deleted', async () => {
    const { simulator, client } = await start();
    // Creates answered after 200 ms, so both finds run before either create lands.
    await sapAdmin(simulator, 'PUT', '/admin/faults', { latencyMs: { min: 200, max: 200 }, operations: ['createReservation'] });
    const second = clientOf(simulator);
    const [a, b] = await Promise.all([client.allocate('res_race', 'SKU-A', 2, T, 'FRA-1'), second.allocate('res_race', 'SKU-A', 2, T, 'FRA-1')]);
    const items = (await reservationItems(simulator, 'res_race')).sort((x, y) => String(x.Reservation).localeCompare(String(y.Reservation)));
    expect(items.map((i) => i.ReservationItmIsMarkedForDeltn)).toEqual([false, true]);
    expect(a).toEqual({ status: 'allocated', allocationId: items[0]!.Reservation });
    expect(b).toEqual(a);
  });

  it('the window: a create still in flight when the retry looked lands later as a second document; the next allocate of the reference deletes it', async () => {
    const { simulator, client } = await start();
    await sapAdmin(simulator, 'PUT', '/admin/faults', { lateRate: 1, lateMs: 1_000, operations: ['createReservation'] });
    expect(await failure(client.allocate('res_late', 'SKU-A', 2, 300, 'FRA-1'))).toMatchObject({ kind: 'timeout' });
    await sapAdmin(simulator, 'PUT', '/admin/faults', { lateRate: 0 });
    const retried = await client.allocate('res_late', 'SKU-A', 2, T, 'FRA-1');
    expect(await reservationItems(simulator, 'res_late')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await reservationItems(simulator, 'res_late')).filter((i) => !i.ReservationItmIsMarkedForDeltn)).toHaveLength(2);

    expect(await client.allocate('res_late', 'SKU-A', 2, T, 'FRA-1')).toEqual(retried);
    expect((await reservationItems(simulator, 'res_late')).filter((i) => !i.ReservationItmIsMarkedForDeltn)).toHaveLength(1);
  });

  it('the window swept: a create landed after the allocation was settled, and one landed after the cancel, are deleted by sweepStrays; the allocation stays', async () => {
    const { simulator, client } = await start();
    await sapAdmin(simulator, 'PUT', '/admin/faults', { lateRate: 1, lateMs: 1_000, operations: ['createReservation'] });
    expect(await failure(client.allocate('res_kept', 'SKU-A', 2, 300, 'FRA-1'))).toMatchObject({ kind: 'timeout' });
    expect(await failure(client.allocate('res_gone', 'SKU-A', 1, 300, 'FRA-1'))).toMatchObject({ kind: 'timeout' });
    await sapAdmin(simulator, 'PUT', '/admin/faults', { lateRate: 0 });
    const kept = await client.allocate('res_kept', 'SKU-A', 2, T, 'FRA-1');
    await client.allocate('res_gone', 'SKU-A', 1, T, 'FRA-1');
    await client.cancel('res_gone', T);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const live = async (reference: string) => (await reservationItems(simulator, reference)).filter((i) => !i.ReservationItmIsMarkedForDeltn).map((i) => i.Reservation);
    expect([(await live('res_kept')).length, (await live('res_gone')).length]).toEqual([2, 1]);

    const swept = await client.sweepStrays(null, T);
    expect(swept.deleted).toHaveLength(2);
    expect(await live('res_kept')).toEqual([kept.status === 'allocated' ? kept.allocationId : 'none']);
    expect(await live('res_gone')).toEqual([]);
    expect(await client.get('res_kept', T)).toMatchObject({ status: 'allocated', allocationId: (kept as { allocationId: string }).allocationId });
    expect(await client.sweepStrays(swept.through, T)).toEqual({ deleted: [], through: swept.through });
  });
});

describe('failures as the port\'s kinds', () => {
  it('429 is unavailable, with its Retry-After; 503 (an outage) and 500 unavailable; a call never answered a timeout', async () => {
    const { simulator, client } = await start();
    await sapAdmin(simulator, 'PUT', '/admin/faults', { throttleRate: 1, retryAfterSeconds: 7, operations: ['readReservations'] });
    expect(await failure(client.get('res_a', T))).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/^GetAllocation: HTTP 429 too many requests, retry after 7 s: TOO_MANY_REQUESTS /) });

    await sapAdmin(simulator, 'PUT', '/admin/faults', { throttleRate: 0, faultRate: 1 });
    expect(await failure(client.get('res_a', T))).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/^GetAllocation: HTTP 500: INJECTED_FAULT /) });

    await sapAdmin(simulator, 'PUT', '/admin/faults', { faultRate: 0, timeoutRate: 1 });
    const held = await failure(client.list(300));
    expect(held).toMatchObject({ kind: 'timeout', message: 'ListAllocations: no answer within 300 ms' });
    expect(held.ms).toBeLessThan(2_000);

    await sapAdmin(simulator, 'PUT', '/admin/faults', { timeoutRate: 0 });
    await sapAdmin(simulator, 'POST', '/admin/outage', { forMs: 60_000 });
    expect(await failure(client.allocate('res_a', 'SKU-A', 1, T, 'FRA-1'))).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/^AllocateStock: HTTP 503, retry after \d+ s$/) });
    expect(await failure(client.movements(0, 10, T))).toMatchObject({ kind: 'unavailable' });
  });
});
