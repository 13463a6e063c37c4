import { describe, expect, it } from 'vitest';
import { fleetOf } from '../../../bridge/cli/reconcile/fleet';
import type { WarehouseSystem } from '../../../bridge/cli/reconcile/warehouses';
import type { WmsClient, WmsRecord } from '../../../bridge/wms/client';

/**
 * Reconcile reads allocations at every warehouse configured (issue 23): a reservation re-sourced
 * from one to the other has a reference at each. Two in-memory warehouses, each keeping its records.
 */
const record = (reservationId: string, status: WmsRecord['status'], allocationId: string | null = null): WmsRecord => ({ reservationId, sku: 'A', qty: 1, status, allocationId, reason: null }) as WmsRecord;

function warehouse(id: string, records: WmsRecord[]): WarehouseSystem & { cancelled: string[] } {
  const cancelled: string[] = [];
  const client = {
    list: async () => records,
    get: async (reference: string) => records.find((r) => r.reservationId === reference) ?? null,
    cancel: async (reference: string) => {
      cancelled.push(reference);
      return { status: 'cancelled' as const };
    },
  } as unknown as WmsClient;
  return { id, locations: null, client: async () => client, cancelled };
}

describe('reconcile across warehouses', () => {
  it("lists every warehouse's records; a read prefers the one holding units; a cancel goes where the reference was seen", async () => {
    const soap = warehouse('soap-1', [record('r1@AMS-1', 'allocated', 'al-1'), record('r2', 'cancelled', 'al-2')]);
    const sap = warehouse('sap-1', [record('r1', 'cancelled', '0000000001'), record('r3', 'allocated', '0000000002')]);
    const fleet = fleetOf([soap, sap]);
    expect((await fleet.list(1_000)).map((r) => r.reservationId)).toEqual(['r1@AMS-1', 'r2', 'r1', 'r3']);
    expect(await fleet.get('r3', 1_000)).toMatchObject({ status: 'allocated', allocationId: '0000000002' });
    expect(await fleet.get('r2', 1_000)).toMatchObject({ status: 'cancelled' });
    expect(await fleet.get('nowhere', 1_000)).toBeNull();
    await fleet.cancel('r3', 1_000);
    await fleet.cancel('r1@AMS-1', 1_000);
    expect({ soap: soap.cancelled, sap: sap.cancelled }).toEqual({ soap: ['r1@AMS-1'], sap: ['r3'] });
    await fleet.cancel('never-seen', 1_000);
    expect({ soap: soap.cancelled, sap: sap.cancelled }).toEqual({ soap: ['r1@AMS-1', 'never-seen'], sap: ['r3', 'never-seen'] });
  });
});
