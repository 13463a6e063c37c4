import type { WmsClient } from '../../wms/client';
import type { WmsRecord } from '../../wms/records';
import type { WarehouseSystem } from './warehouses';

/** What reconcile needs of the warehouses' allocations: the port's list, get and cancel, across every warehouse. */
export type AllocationBook = Pick<WmsClient, 'list' | 'get' | 'cancel'>;

type Found = { system: WarehouseSystem; client: WmsClient; record: WmsRecord };

/**
 * Every configured warehouse's allocations as one book, each asked through the port (SOAP or
 * OData alike): the saga allocates a reservation at the warehouse serving its location, so a
 * reservation held at any of them is held. A reference is each warehouse's own (ADR 0015: a
 * re-sourced reservation gets `id@location`), so at most one holds it; a tombstone elsewhere
 * (a cancel that found nothing) yields to the record that holds.
 */
export function allocationsAcross(systems: readonly WarehouseSystem[]): AllocationBook {
  const everywhere = async (reference: string, timeoutMs: number): Promise<Found[]> => {
    const found = await Promise.all(
      systems.map(async (system) => {
        const client = await system.client();
        const record = await client.get(reference, timeoutMs);
        return record ? [{ system, client, record }] : [];
      }),
    );
    return found.flat();
  };
  return {
    list: async (timeoutMs) => (await Promise.all(systems.map(async (s) => (await s.client()).list(timeoutMs)))).flat(),
    get: async (reference, timeoutMs) => {
      const found = await everywhere(reference, timeoutMs);
      return (found.find((f) => f.record.status === 'allocated') ?? found[0])?.record ?? null;
    },
    // Cancelled where it is held; a warehouse that never had it is not sent a cancel (it would keep a tombstone).
    cancel: async (reference, timeoutMs) => {
      const holding = (await everywhere(reference, timeoutMs)).filter((f) => f.record.status === 'allocated');
      for (const { client } of holding) await client.cancel(reference, timeoutMs);
      return { status: 'cancelled' };
    },
  };
}
