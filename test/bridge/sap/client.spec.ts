import { describe, expect, it } from 'vitest';
import { createSapClient } from '../../../bridge/sap/client';
import { isStockRefusal } from '../../../bridge/wms/client';
import { freePort } from '../../e2e/support/processes';
import { CLIENT_PLANTS, reservationItems, useSapClients } from './support/sapClient';
import { USER } from './support/sapSimulator';
import { failure, ISO, T } from '../support/wmsSimulator';

/** The OData adapter against the SAP simulator over real HTTP (Basic auth, CSRF, ETags): no mocks. */

const { start, stateFile } = useSapClients();

describe('allocations as SAP reservation documents, idempotent by the reference in ReservationItemText', () => {
  it('allocates once (a retry finds the document), gets, lists and cancels it; a cancelled reference stays cancelled', async () => {
    const { simulator, client } = await start();
    const first = await client.allocate('res_a', 'SKU-A', 3, T, 'FRA-1');
    expect(first).toEqual({ status: 'allocated', allocationId: expect.stringMatching(/^\d{10}$/) });
    expect(await client.allocate('res_a', 'SKU-A', 3, T, 'FRA-1')).toEqual(first);
    const allocationId = first.status === 'allocated' ? first.allocationId : '';
    expect(await reservationItems(simulator, 'res_a')).toMatchObject([
      { Reservation: allocationId, Product: 'SKU-A', Plant: '1010', StorageLocation: '0001', ResvnItmRequiredQtyInEntryUnit: '3.000', ReservationItmIsMarkedForDeltn: false },
    ]);

    const record = { reservationId: 'res_a', sku: 'SKU-A', qty: 3, status: 'allocated', allocationId, reason: null, updatedAt: expect.stringMatching(ISO) };
    expect(await client.get('res_a', T)).toEqual(record);
    expect(await client.get('res_never', T)).toBeNull();
    await client.allocate('res_b@MUC-1', 'SKU-B', 1, T, 'MUC-1');
    expect((await client.list(T)).map((r) => [r.reservationId, r.status])).toEqual([
      ['res_a', 'allocated'],
      ['res_b@MUC-1', 'allocated'],
    ]);

    expect(await client.cancel('res_a', T)).toEqual({ status: 'cancelled' });
    expect(await client.cancel('res_a', T)).toEqual({ status: 'cancelled' });
    expect(await client.get('res_a', T)).toEqual({ ...record, status: 'cancelled' });
    expect(await client.allocate('res_a', 'SKU-A', 3, T, 'FRA-1')).toEqual({ status: 'cancelled' });
    expect(await reservationItems(simulator, 'res_a')).toMatchObject([{ Reservation: allocationId, ReservationItmIsMarkedForDeltn: true }]);
    // A reference never allocated: nothing to flag, and nothing is created (SAP has no tombstone; ADR 0017).
    expect(await client.cancel('res_never', T)).toEqual({ status: 'cancelled' });
    expect(await reservationItems(simulator, 'res_never')).toEqual([]);
  });

  it('allocates at the plant and storage location its location maps to, the default site without one; refuses what SAP could not hold', async () => {
    const { simulator, client } = await start();
    await client.allocate('res_m', 'SKU-A', 2, T, 'MUC-1');
    await client.allocate('res_d', 'SKU-A', 2, T);
    expect(await reservationItems(simulator, 'res_m')).toMatchObject([{ Plant: '1010', StorageLocation: '0002' }]);
    expect(await reservationItems(simulator, 'res_d')).toMatchObject([{ Plant: '1010', StorageLocation: '0001' }]);

    expect(await failure(client.allocate('res_x', 'SKU-A', 1, T, 'AMS-9'))).toMatchObject({
      kind: 'fault',
      message: "AllocateStock: location AMS-9 has no plant and storage location in this warehouse's plants mapping",
    });
    const long = `res_${'x'.repeat(40)}@FRA-1~12`;
    expect(await failure(client.allocate(long, 'SKU-A', 1, T, 'FRA-1'))).toMatchObject({ kind: 'fault', message: expect.stringMatching(/longer than SAP's ReservationItemText \(50 characters\); nothing was sent$/) });
    expect(await reservationItems(simulator, 'res_x')).toEqual([]);
  });

  it('beyond the free stock SAP refuses (M7/021): a stock refusal, with no document; a cancel frees the units again', async () => {
    const { simulator, client } = await start({ defaultStock: 5 });
    const first = await client.allocate('res_1', 'SKU-A', 3, T, 'FRA-1');
    const refused = await client.allocate('res_2', 'SKU-A', 3, T, 'FRA-1');
    expect(refused).toEqual({ status: 'rejected', reason: 'out_of_stock' });
    expect(isStockRefusal(refused)).toBe(true);
    expect(await client.get('res_2', T)).toBeNull();
    expect(await reservationItems(simulator, 'res_2')).toEqual([]);

    expect(first.status).toBe('allocated');
    await client.cancel('res_1', T);
    expect(await client.allocate('res_2', 'SKU-A', 3, T, 'FRA-1')).toMatchObject({ status: 'allocated' });
  });
});

describe('the SAP session', () => {
  it('a CSRF token the system no longer knows (it restarted) is fetched again, once, and the change goes through', async () => {
    const file = stateFile();
    const port = await freePort();
    const first = await start({ port, stateFile: file });
    const client = first.client;
    await client.allocate('res_t', 'SKU-A', 1, T, 'FRA-1');
    await first.simulator.close();
    const again = await start({ port, stateFile: file });
    // The client still holds the old session's token and cookie: the DELETE is refused 403 Required, then retried.
    expect(await client.cancel('res_t', T)).toEqual({ status: 'cancelled' });
    expect(await reservationItems(again.simulator, 'res_t')).toMatchObject([{ ReservationItmIsMarkedForDeltn: true }]);
  });

  it('a wrong password is a fault (401), an unreachable system unavailable', async () => {
    const { simulator } = await start();
    const wrong = createSapClient({ url: simulator.url, user: USER, password: 'wrong', plants: CLIENT_PLANTS });
    expect(await failure(wrong.get('res_a', T))).toEqual({ kind: 'fault', message: 'GetAllocation: HTTP 401: the warehouse refused the user and password', ms: expect.any(Number) });
    const nobody = createSapClient({ url: `http://127.0.0.1:${await freePort()}`, user: USER, password: 'p', plants: CLIENT_PLANTS });
    expect(await failure(nobody.allocate('res_a', 'SKU-A', 1, T, 'FRA-1'))).toMatchObject({ kind: 'unavailable', message: 'AllocateStock: warehouse unreachable (ECONNREFUSED)' });
  });
});
