import { describe, expect, it } from 'vitest';
import { latestSequence } from '../../bridge/feed/warehouseClients';
import { isStockRefusal, WmsError, type WmsClient } from '../../bridge/wms/client';

/** Every call's timeout in the contract. */
const T = 2_000;
export const CONTRACT_LOCATIONS = ['FRA-1', 'MUC-1'] as const;

/**
 * A warehouse system behind the port, fresh and empty (nothing stocked), serving CONTRACT_LOCATIONS,
 * the first its default site; `admin` is its simulator's admin API (the same routes for every kind).
 */
export type WarehouseUnderTest = {
  client: WmsClient;
  admin: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;
};

/**
 * What the saga, the feed and reconcile may rely on from any warehouse adapter (bridge/wms/client.ts):
 * one suite, run against each kind (SOAP, SAP OData) and its simulator. What differs between kinds
 * (a refusal remembered or not, a tombstone, document numbers) is in each adapter's own specs.
 */
export function describeWmsClientContract(name: string, start: () => Promise<WarehouseUnderTest>): void {
  describe(`WmsClient contract: ${name}`, () => {
    const [home, other] = CONTRACT_LOCATIONS;

    async function stocked(units: Record<string, number>): Promise<WarehouseUnderTest> {
      const warehouse = await start();
      for (const [place, physical] of Object.entries(units)) {
        const [location, sku] = place.split('/');
        expect((await warehouse.admin('PUT', `/admin/stock/${location}/${sku}`, { physical })).status).toBe(200);
      }
      return warehouse;
    }
    const levelOf = async (client: WmsClient, location: string, sku: string) => (await client.stockLevels(T, location)).find((l) => l.sku === sku);

    it('allocates once per reference, at the location named (the default site without one); a retry answers the same allocation', async () => {
      const { client } = await stocked({ [`${home}/SKU-A`]: 10, [`${other}/SKU-A`]: 4 });
      const first = await client.allocate('res_a', 'SKU-A', 3, T, other);
      expect(first).toEqual({ status: 'allocated', allocationId: expect.any(String) });
      expect(await client.allocate('res_a', 'SKU-A', 3, T, other)).toEqual(first);
      expect(await client.allocate('res_b', 'SKU-A', 2, T)).toMatchObject({ status: 'allocated' });
      expect(await levelOf(client, other, 'SKU-A')).toEqual({ location: other, sku: 'SKU-A', physical: 4, allocated: 3, shipped: 0 });
      expect(await levelOf(client, home, 'SKU-A')).toEqual({ location: home, sku: 'SKU-A', physical: 10, allocated: 2, shipped: 0 });
      expect(await client.get('res_a', T)).toMatchObject({ reservationId: 'res_a', sku: 'SKU-A', qty: 3, status: 'allocated', allocationId: first.status === 'allocated' ? first.allocationId : '' });
      expect(await client.get('res_never', T)).toBeNull();
      expect((await client.list(T)).filter((r) => r.status === 'allocated').map((r) => r.reservationId).sort()).toEqual(['res_a', 'res_b']);
    });

    it('refuses for stock beyond what the location has free, taking nothing', async () => {
      const { client } = await stocked({ [`${home}/SKU-A`]: 5 });
      await client.allocate('res_1', 'SKU-A', 3, T, home);
      const refused = await client.allocate('res_2', 'SKU-A', 3, T, home);
      expect(isStockRefusal(refused)).toBe(true);
      expect(await levelOf(client, home, 'SKU-A')).toMatchObject({ physical: 5, allocated: 3 });
    });

    it('a cancel gives the units back, once; the reference stays cancelled, a later allocate of it takes nothing', async () => {
      const { client } = await stocked({ [`${home}/SKU-A`]: 5 });
      await client.allocate('res_c', 'SKU-A', 4, T, home);
      expect(await client.cancel('res_c', T)).toEqual({ status: 'cancelled' });
      expect(await client.cancel('res_c', T)).toEqual({ status: 'cancelled' });
      expect(await client.get('res_c', T)).toMatchObject({ reservationId: 'res_c', status: 'cancelled' });
      expect(await client.allocate('res_c', 'SKU-A', 4, T, home)).toEqual({ status: 'cancelled' });
      expect(await levelOf(client, home, 'SKU-A')).toMatchObject({ physical: 5, allocated: 0 });
      expect(await client.cancel('res_never_allocated', T)).toEqual({ status: 'cancelled' });
    });

    it('an allocation at a location the warehouse does not serve is a fault', async () => {
      const { client } = await start();
      await expect(client.allocate('res_x', 'SKU-A', 1, T, 'AMS-9')).rejects.toSatisfy((error) => error instanceof WmsError && error.kind === 'fault');
    });

    it('its movements: in order from a cursor, each at its location with its signed delta, a shipment naming its reference; levels follow', async () => {
      const { client, admin } = await stocked({ [`${home}/SKU-A`]: 10 });
      await client.allocate('res_s', 'SKU-A', 3, T, home);
      expect(await latestSequence(client, T)).toBe(0);
      for (const movement of [
        { type: 'receipt', document: 'W-1', location: other, sku: 'SKU-B', qty: 5 },
        { type: 'count', document: 'W-2', location: home, sku: 'SKU-A', qty: 8 },
        { type: 'damage', document: 'W-3', location: home, sku: 'SKU-A', qty: 1 },
        { type: 'shipment', document: 'W-4', reservationId: 'res_s' },
      ]) {
        expect((await admin('POST', '/admin/movements', movement)).status).toBe(201);
      }
      const page = await client.movements(0, 10, T);
      expect(page.next).toBe(4);
      expect(page.movement.map(({ sequence, type, location, sku, delta, reservationId }) => ({ sequence, type, location, sku, delta, reservationId }))).toEqual([
        { sequence: 1, type: 'receipt', location: other, sku: 'SKU-B', delta: 5, reservationId: null },
        { sequence: 2, type: 'count', location: home, sku: 'SKU-A', delta: -2, reservationId: null },
        { sequence: 3, type: 'damage', location: home, sku: 'SKU-A', delta: -1, reservationId: null },
        { sequence: 4, type: 'shipment', location: home, sku: 'SKU-A', delta: -3, reservationId: 'res_s' },
      ]);
      expect(new Set(page.movement.map((m) => m.document)).size).toBe(4);
      expect(await client.movements(1, 2, T)).toEqual({ movement: page.movement.slice(1, 3), next: 3 });
      expect(await client.movements(4, 10, T)).toEqual({ movement: [], next: 4 });
      expect(await latestSequence(client, T)).toBe(4);
      // Shipped: the reference's allocation still, its units no longer allocated but shipped.
      expect(await client.get('res_s', T)).toMatchObject({ status: 'allocated' });
      expect(await levelOf(client, home, 'SKU-A')).toEqual({ location: home, sku: 'SKU-A', physical: 4, allocated: 0, shipped: 3 });
      expect(await levelOf(client, other, 'SKU-B')).toEqual({ location: other, sku: 'SKU-B', physical: 5, allocated: 0, shipped: 0 });
    });
  });
}
