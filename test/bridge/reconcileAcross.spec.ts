import { describe, expect, it } from 'vitest';
import { allocationsAcross } from '../../bridge/cli/reconcile/allocations';
import type { WarehouseSystem } from '../../bridge/cli/reconcile/warehouses';
import type { WmsClient } from '../../bridge/wms/client';
import { useSapClients } from './sap/support/sapClient';
import { T, useWmsSimulators } from './support/wmsSimulator';

/**
 * `inventory reconcile` reads the allocations of every configured warehouse through the port: a
 * SOAP one (the WMS simulator) and an odata one (the SAP simulator), both real, over HTTP.
 */
const wmsSimulators = useWmsSimulators();
const sapClients = useSapClients();

const system = (id: string, kind: 'soap' | 'odata', client: WmsClient, locations: string[]): WarehouseSystem => ({ id, kind, url: `http://${id}.invalid`, locations, client: async () => client });

async function twoWarehouses() {
  const soap = (await wmsSimulators.start({ locations: ['AMS-1'] })).client;
  const odata = (await sapClients.start()).client;
  await soap.allocate('res_soap', 'SKU-A', 2, T, 'AMS-1');
  await odata.allocate('res_sap', 'SKU-A', 3, T, 'FRA-1');
  return { soap, odata, book: allocationsAcross([system('soap-1', 'soap', soap, ['AMS-1']), system('sap-1', 'odata', odata, ['FRA-1'])]) };
}

describe('reconcile: the allocations of a soap and an odata warehouse as one book', () => {
  it('lists what each holds, and finds a reservation at whichever warehouse holds it', async () => {
    const { book } = await twoWarehouses();
    const listed = (await book.list(T)).map((r) => [r.reservationId, r.sku, r.qty, r.status]).sort();
    expect(listed).toEqual([['res_sap', 'SKU-A', 3, 'allocated'], ['res_soap', 'SKU-A', 2, 'allocated']]);
    expect(await book.get('res_sap', T)).toMatchObject({ reservationId: 'res_sap', qty: 3, status: 'allocated' });
    expect(await book.get('res_soap', T)).toMatchObject({ reservationId: 'res_soap', qty: 2, status: 'allocated' });
    expect(await book.get('res_nowhere', T)).toBeNull();
  });

  it('a cancel goes to the warehouse holding the reservation only: the other keeps no tombstone', async () => {
    const { soap, odata, book } = await twoWarehouses();
    await book.cancel('res_sap', T);
    expect(await odata.get('res_sap', T)).toMatchObject({ status: 'cancelled' });
    expect(await soap.get('res_sap', T)).toBeNull();
    expect(await soap.get('res_soap', T)).toMatchObject({ status: 'allocated' });
    await book.cancel('res_soap', T);
    expect((await book.list(T)).map((r) => [r.reservationId, r.status]).sort()).toEqual([['res_sap', 'cancelled'], ['res_soap', 'cancelled']]);
  });
});
