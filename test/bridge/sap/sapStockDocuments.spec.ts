import { describe, expect, it } from 'vitest';
import { loadSapConfig } from '../../../bridge/sap/simulator/config';
import type { RunningSapSimulator } from '../../../bridge/sap/simulator/server';
import { admin, DOCUMENTS, item, RESERVATIONS, session, STOCK, useSapSimulators, type Json } from './support/sapSimulator';

/** Material stock per plant and storage location, and material documents as the feed reads them. */

const { start, file } = useSapSimulators();
const ITEMS = `${DOCUMENTS}/A_MaterialDocumentItem`;
const move = (simulator: RunningSapSimulator, movement: object) => admin(simulator, 'POST', '/admin/movements', movement);
const after = (document: string, top: number) =>
  `${ITEMS}?$filter=${encodeURIComponent(`MaterialDocument gt '${document}'`)}&$orderby=MaterialDocument,MaterialDocumentItem&$top=${top}`;
const summary = (i: Json) => [i.MaterialDocument, i.GoodsMovementType, i.DebitCreditCode, i.QuantityInEntryUnit, i.Material, i.Plant, i.StorageLocation];

describe('material stock', () => {
  it('A_MatlStkInAcctMod: unrestricted physical stock per material, plant and storage location; a reservation does not lower it', async () => {
    const simulator = await start();
    const sap = session(simulator);
    await admin(simulator, 'PUT', '/admin/stock/FRA-1/SKU-1', { physical: 7 });
    await admin(simulator, 'PUT', '/admin/stock/BER-2/SKU-1', { physical: 2 });
    await admin(simulator, 'PUT', '/admin/stock/FRA-1/SKU-2', { physical: 1 });
    await sap.fetchToken();
    expect((await sap.call('POST', `${RESERVATIONS}/A_ReservationDocumentHeader`, { body: { to_ReservationDocumentItem: [item('res_a', 5)] } })).status).toBe(201);

    const filter = encodeURIComponent("Material eq 'SKU-1' and Plant eq '1010'");
    const res = await sap.call('GET', `${STOCK}/A_MatlStkInAcctMod?$filter=${filter}`);
    expect(res.body.d.results).toEqual([
      expect.objectContaining({
        __metadata: expect.objectContaining({ type: 'API_MATERIAL_STOCK_SRV.A_MatlStkInAcctModType' }),
        Material: 'SKU-1',
        Plant: '1010',
        StorageLocation: '0001',
        Batch: '',
        InventoryStockType: '01',
        InventorySpecialStockType: '',
        MatlWrhsStkQtyInMatlBaseUnit: '7.000',
        MaterialBaseUnit: 'PC',
      }),
    ]);
    const all = await sap.call('GET', `${STOCK}/A_MatlStkInAcctMod?$filter=${encodeURIComponent("Material eq 'SKU-1'")}&$inlinecount=allpages`);
    expect(all.body.d.__count).toBe('2');
    expect((await sap.call('GET', `${STOCK}/A_MatlStkInAcctMod?$filter=${encodeURIComponent("MaterialBaseUnit eq 'PC'")}`)).status).toBe(400);
  });
});

describe('material documents', () => {
  it('each admin movement is one material document from 4900000001 up: 101, 701/702 (the count difference), 551, and 201 against the reservation item', async () => {
    const simulator = await start();
    const sap = session(simulator);
    expect(await move(simulator, { document: 'WMS-1', type: 'receipt', location: 'FRA-1', sku: 'SKU-1', qty: 10 })).toMatchObject({
      status: 201,
      body: { sequence: 1, materialDocument: '4900000001', delta: 10 },
    });
    await move(simulator, { document: 'WMS-2', type: 'count', location: 'FRA-1', sku: 'SKU-1', qty: 8 });
    await move(simulator, { document: 'WMS-3', type: 'count', location: 'FRA-1', sku: 'SKU-1', qty: 9 });
    await move(simulator, { document: 'WMS-4', type: 'damage', location: 'FRA-1', sku: 'SKU-1', qty: 1 });
    await sap.fetchToken();
    await sap.call('POST', `${RESERVATIONS}/A_ReservationDocumentHeader`, { body: { to_ReservationDocumentItem: [item('res_x', 1), item('res_ship@FRA-1', 3)] } });
    expect(await move(simulator, { document: 'WMS-5', type: 'shipment', reservationId: 'res_ship@FRA-1' })).toMatchObject({ status: 201, body: { materialDocument: '4900000005', delta: -3 } });
    // The same document number again: the first result, nothing moved.
    expect(await move(simulator, { document: 'WMS-5', type: 'shipment', reservationId: 'res_ship@FRA-1' })).toMatchObject({ status: 200, body: { materialDocument: '4900000005' } });
    expect(await move(simulator, { document: 'WMS-6', type: 'shipment', reservationId: 'res_ship@FRA-1' })).toMatchObject({ status: 409, body: { error: { code: 'not_allocated' } } });

    const items = (await sap.call('GET', after('0', 100))).body.d.results;
    expect(items.map(summary)).toEqual([
      ['4900000001', '101', 'S', '10.000', 'SKU-1', '1010', '0001'],
      ['4900000002', '702', 'H', '2.000', 'SKU-1', '1010', '0001'],
      ['4900000003', '701', 'S', '1.000', 'SKU-1', '1010', '0001'],
      ['4900000004', '551', 'H', '1.000', 'SKU-1', '1010', '0001'],
      ['4900000005', '201', 'H', '3.000', 'SKU-1', '1010', '0001'],
    ]);
    expect(items[4]).toMatchObject({ MaterialDocumentItem: '0001', Reservation: '0000000001', ReservationItem: '0002', EntryUnit: 'PC', PostingDate: expect.stringMatching(/^\/Date\(\d+\)\/$/) });
    const header = (await sap.call('GET', `${DOCUMENTS}/A_MaterialDocumentHeader(MaterialDocumentYear='${items[0].MaterialDocumentYear}',MaterialDocument='4900000001')?$expand=to_MaterialDocumentItem`)).body.d;
    expect(header).toMatchObject({ MaterialDocument: '4900000001', MaterialDocumentHeaderText: 'WMS-1', CreationTime: expect.stringMatching(/^PT\d{2}H\d{2}M\d{2}S$/) });
    expect(header.to_MaterialDocumentItem.results).toHaveLength(1);

    // The reservation item is finally issued; deleting the document then gives back only the other item's unit.
    const doc = await sap.call('GET', `${RESERVATIONS}/A_ReservationDocumentHeader('0000000001')?$expand=to_ReservationDocumentItem`);
    expect(doc.body.d.to_ReservationDocumentItem.results.map((i: Json) => [i.ReservationItemIsFinallyIssued, i.ResvnItmWithdrawnQtyInBaseUnit])).toEqual([
      [false, '0.000'],
      [true, '3.000'],
    ]);
    await sap.call('DELETE', `${RESERVATIONS}/A_ReservationDocumentHeader('0000000001')`, { headers: { 'if-match': doc.headers.get('etag')! } });
    expect((await admin(simulator, 'GET', '/admin/stock')).body).toEqual([{ location: 'FRA-1', sku: 'SKU-1', physical: 5, allocated: 0, shipped: 3 }]);
  });

  it('the feed pages by MaterialDocument gt, in order, N at a time', async () => {
    const simulator = await start();
    const sap = session(simulator);
    for (let n = 1; n <= 5; n++) await move(simulator, { document: `WMS-${n}`, type: 'receipt', location: n % 2 ? 'FRA-1' : 'BER-2', sku: 'SKU-P', qty: n });
    const pages: string[][] = [];
    let cursor = '4900000000';
    for (;;) {
      const page = (await sap.call('GET', after(cursor, 2))).body.d.results as Json[];
      if (page.length === 0) break;
      pages.push(page.map((i) => `${i.MaterialDocument}@${i.Plant}/${i.QuantityInEntryUnit}`));
      cursor = page.at(-1).MaterialDocument;
    }
    expect(pages).toEqual([
      ['4900000001@1010/1.000', '4900000002@1020/2.000'],
      ['4900000003@1010/3.000', '4900000004@1020/4.000'],
      ['4900000005@1010/5.000'],
    ]);
  });

  it('a restart on the same state file keeps reservations, their numbering, stock and material documents', async () => {
    const stateFile = file('restart/sap-state.json');
    const first = await start({ stateFile });
    await move(first, { document: 'WMS-1', type: 'receipt', location: 'FRA-1', sku: 'SKU-1', qty: 4 });
    const sap = session(first);
    await sap.fetchToken();
    await sap.call('POST', `${RESERVATIONS}/A_ReservationDocumentHeader`, { body: { to_ReservationDocumentItem: [item('res_a', 3)] } });
    await first.close();

    const second = await start({ stateFile });
    const again = session(second);
    await again.fetchToken();
    expect((await again.call('POST', `${RESERVATIONS}/A_ReservationDocumentHeader`, { body: { to_ReservationDocumentItem: [item('res_b', 2)] } })).body.error.code).toBe('M7/021');
    expect((await again.call('POST', `${RESERVATIONS}/A_ReservationDocumentHeader`, { body: { to_ReservationDocumentItem: [item('res_b', 1)] } })).body.d.Reservation).toBe('0000000002');
    expect((await move(second, { document: 'WMS-2', type: 'receipt', location: 'FRA-1', sku: 'SKU-1', qty: 1 })).body).toMatchObject({ materialDocument: '4900000002' });
  });
});

describe('configuration', () => {
  it('SAP_PLANTS maps our locations to plants and storage locations; defaults: port 8792, one location, memory only', () => {
    expect(loadSapConfig({})).toMatchObject({ port: 8792, plants: { default: { plant: '1010', storageLocation: '0001' } }, stateFile: undefined, user: 'INVENTORY', password: 'local-only-password' });
    expect(loadSapConfig({ SAP_PLANTS: JSON.stringify({ 'FRA-1': { plant: '1010', storageLocation: '0001' } }), SAP_THROTTLE_RATE: '0.1', SAP_RETRY_AFTER_S: '7' })).toMatchObject({
      plants: { 'FRA-1': { plant: '1010', storageLocation: '0001' } },
      faults: { throttleRate: 0.1, retryAfterSeconds: 7 },
    });
    expect(() => loadSapConfig({ SAP_PLANTS: '{' })).toThrow(/SAP_PLANTS/);
    expect(() => loadSapConfig({ SAP_PLANTS: JSON.stringify({ 'FRA-1': { plant: '10100', storageLocation: '0001' } }) })).toThrow(/plant must be 4 letters or digits/);
    expect(() => loadSapConfig({ SAP_PLANTS: JSON.stringify({ A: { plant: '1010', storageLocation: '0001' }, B: { plant: '1010', storageLocation: '0001' } }) })).toThrow(/storageLocation 0001 is A's already/);
    expect(() => loadSapConfig({ SAP_HOST: '0.0.0.0', SAP_ADMIN_KEYS: 'k'.repeat(40) })).toThrow(/SAP_PASSWORD is the published local default/);
  });
});
