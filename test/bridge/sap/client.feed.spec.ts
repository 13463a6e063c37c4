import { describe, expect, it } from 'vitest';
import { latestSequence } from '../../../bridge/feed/warehouseClients';
import { sapAdmin, useSapClients } from './support/sapClient';
import { ISO, T } from '../support/wmsSimulator';

/** What the feed and reconcile read through the OData adapter: material documents as movements, stock levels per location. */

const { start } = useSapClients();

describe('material documents as the feed\'s movements, stock as levels', () => {
  it('follows receipts, counts, damages and shipments in order from a cursor, each at its location, a shipment naming its reference', async () => {
    const { simulator, client } = await start({ unstocked: 'empty' });
    expect((await sapAdmin(simulator, 'PUT', '/admin/stock/FRA-1/SKU-A', { physical: 10 })).status).toBe(200);
    expect(await client.allocate('res_a@FRA-1', 'SKU-A', 3, T, 'FRA-1')).toMatchObject({ status: 'allocated' });
    expect(await latestSequence(client, T)).toBe(0);
    for (const movement of [
      { type: 'receipt', document: 'W-1', location: 'MUC-1', sku: 'SKU-B', qty: 5 },
      { type: 'count', document: 'W-2', location: 'FRA-1', sku: 'SKU-A', qty: 8 },
      { type: 'damage', document: 'W-3', location: 'FRA-1', sku: 'SKU-A', qty: 1 },
      { type: 'shipment', document: 'W-4', reservationId: 'res_a@FRA-1' },
    ]) {
      expect((await sapAdmin(simulator, 'POST', '/admin/movements', movement)).status).toBe(201);
    }

    const page = await client.movements(0, 10, T);
    expect(page.next).toBe(4);
    expect(page.movement).toEqual([
      { sequence: 1, document: '4900000001', type: 'receipt', location: 'MUC-1', sku: 'SKU-B', qty: 5, delta: 5, reservationId: null, at: expect.stringMatching(ISO) },
      { sequence: 2, document: '4900000002', type: 'count', location: 'FRA-1', sku: 'SKU-A', qty: 2, delta: -2, reservationId: null, at: expect.stringMatching(ISO) },
      { sequence: 3, document: '4900000003', type: 'damage', location: 'FRA-1', sku: 'SKU-A', qty: 1, delta: -1, reservationId: null, at: expect.stringMatching(ISO) },
      { sequence: 4, document: '4900000004', type: 'shipment', location: 'FRA-1', sku: 'SKU-A', qty: 3, delta: -3, reservationId: 'res_a@FRA-1', at: expect.stringMatching(ISO) },
    ]);
    // The header's creation time, not the posting day's midnight.
    expect(Math.abs(Date.parse(page.movement[0]!.at) - Date.now())).toBeLessThan(60_000);

    expect(await client.movements(1, 2, T)).toEqual({ movement: page.movement.slice(1, 3), next: 3 });
    expect(await client.movements(4, 10, T)).toEqual({ movement: [], next: 4 });
    expect(await latestSequence(client, T)).toBe(4);

    // Shipped: no longer allocated, still the reference's allocation (as at the SOAP warehouse).
    expect(await client.get('res_a@FRA-1', T)).toMatchObject({ status: 'allocated', qty: 3 });
    await client.allocate('res_b', 'SKU-A', 2, T, 'FRA-1');
    expect(await client.stockLevels(T)).toEqual([
      { location: 'FRA-1', sku: 'SKU-A', physical: 4, allocated: 2, shipped: 3 },
      { location: 'MUC-1', sku: 'SKU-B', physical: 5, allocated: 0, shipped: 0 },
    ]);
    expect(await client.stockLevels(T, 'MUC-1')).toEqual([{ location: 'MUC-1', sku: 'SKU-B', physical: 5, allocated: 0, shipped: 0 }]);
    expect(await client.stockLevels(T, 'AMS-9')).toEqual([]);
  });
});
