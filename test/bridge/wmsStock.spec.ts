import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStockRefusal } from '../../bridge/wms/client';
import { loadWmsConfig } from '../../bridge/wms/config';
import type { RunningWmsSimulator } from '../../bridge/wms/simulator';
import { admin, envelope, failure, ISO, soapPost, T, useWmsSimulators } from './support/wmsSimulator';

/** Locations, physical stock and movement documents: the simulator over real HTTP, the real SOAP client. */

const { start, dataDir } = useWmsSimulators();
const SITES = { locations: ['AMS-1', 'RTM-2'], unstocked: 'empty' as const };

const stock = (simulator: RunningWmsSimulator, location: string, sku: string, physical: number) =>
  admin(simulator, 'PUT', `/admin/stock/${location}/${sku}`, { physical });
const move = (simulator: RunningWmsSimulator, movement: object) => admin(simulator, 'POST', '/admin/movements', movement);
const level = (location: string, sku: string, physical: number, allocated: number, shipped: number) => ({ location, sku, physical, allocated, shipped });
const byPlace = <T extends { location: string; sku: string }>(levels: T[]) =>
  levels.toSorted((a, b) => `${a.location}/${a.sku}`.localeCompare(`${b.location}/${b.sku}`));

describe('allocations take from a location', () => {
  it('refuses for stock when the location has fewer units free than asked; another location is counted apart', async () => {
    const { simulator, client } = await start(SITES);
    expect(await stock(simulator, 'AMS-1', 'SKU-A', 5)).toEqual({ status: 200, body: level('AMS-1', 'SKU-A', 5, 0, 0) });
    expect(await client.allocate('r-1', 'SKU-A', 3, T, 'AMS-1')).toMatchObject({ status: 'allocated' });
    const refused = await client.allocate('r-2', 'SKU-A', 3, T, 'AMS-1');
    expect(refused).toEqual({ status: 'rejected', reason: 'out_of_stock' });
    expect(isStockRefusal(refused)).toBe(true);
    // RTM-2 never stocked SKU-A, and unstocked means empty here.
    expect(isStockRefusal(await client.allocate('r-3', 'SKU-A', 1, T, 'RTM-2'))).toBe(true);
    // No location: the first configured one.
    expect(await client.allocate('r-4', 'SKU-A', 2, T)).toMatchObject({ status: 'allocated' });
    expect(await client.stockLevels(T)).toEqual([level('AMS-1', 'SKU-A', 5, 5, 0)]);
    expect(await client.stockLevels(T, 'RTM-2')).toEqual([]);
  });

  it('an unknown location is a SOAP Client fault and records nothing', async () => {
    const { client } = await start(SITES);
    const fault = await failure(client.allocate('r-1', 'SKU-A', 1, T, 'NOWHERE'));
    expect(fault).toMatchObject({ kind: 'fault', message: 'AllocateStock: SOAP fault: invalid AllocateStock: unknown location NOWHERE' });
    expect(await client.get('r-1', T)).toBeNull();
  });

  it('by default one location, `default`, where a SKU nobody stocked has the default stock', async () => {
    const { client } = await start({ defaultStock: 50 });
    expect(await client.allocate('r-1', 'SKU-U', 20, T)).toMatchObject({ status: 'allocated' });
    expect(isStockRefusal(await client.allocate('r-2', 'SKU-U', 31, T))).toBe(true);
    expect(await client.stockLevels(T)).toEqual([level('default', 'SKU-U', 50, 20, 0)]);
  });

  it('WMS_LOCATIONS and WMS_UNSTOCKED configure the process; by default neither is set', () => {
    expect(loadWmsConfig({ WMS_LOCATIONS: 'AMS-1, RTM-2', WMS_UNSTOCKED: 'empty' })).toMatchObject({ locations: ['AMS-1', 'RTM-2'], unstocked: 'empty' });
    expect(loadWmsConfig({})).toMatchObject({ locations: undefined, unstocked: 'unlimited' });
    expect(() => loadWmsConfig({ WMS_LOCATIONS: 'AMS 1' })).toThrow(/WMS_LOCATIONS/);
    expect(() => loadWmsConfig({ WMS_LOCATIONS: 'AMS-1,AMS-1' })).toThrow(/each location once/);
    expect(() => loadWmsConfig({ WMS_UNSTOCKED: 'some' })).toThrow(/WMS_UNSTOCKED/);
  });
});

describe('movements are warehouse documents', () => {
  it('a document posted twice counts once and answers the first result', async () => {
    const { simulator, client } = await start(SITES);
    const first = await move(simulator, { document: 'WMS-000001', type: 'receipt', location: 'AMS-1', sku: 'SKU-A', qty: 10 });
    expect(first).toEqual({
      status: 201,
      body: { sequence: 1, document: 'WMS-000001', type: 'receipt', location: 'AMS-1', sku: 'SKU-A', qty: 10, delta: 10, reservationId: null, at: expect.stringMatching(ISO) },
    });
    expect(await move(simulator, { document: 'WMS-000001', type: 'receipt', location: 'AMS-1', sku: 'SKU-A', qty: 10 })).toEqual({ status: 200, body: first.body });
    // The document number decides, whatever else the second post says.
    expect(await move(simulator, { document: 'WMS-000001', type: 'damage', location: 'AMS-1', sku: 'SKU-A', qty: 4 })).toEqual({ status: 200, body: first.body });
    expect(await client.stockLevels(T)).toEqual([level('AMS-1', 'SKU-A', 10, 0, 0)]);
    expect((await client.movements(0, 10, T)).movement).toHaveLength(1);
  });

  it('ListMovements pages in sequence order with a cursor', async () => {
    const { simulator, client } = await start(SITES);
    for (let n = 1; n <= 5; n++) await move(simulator, { document: `WMS-00000${n}`, type: 'receipt', location: n % 2 ? 'AMS-1' : 'RTM-2', sku: 'SKU-P', qty: n });
    const pages = [];
    let after = 0;
    for (;;) {
      const page = await client.movements(after, 2, T);
      pages.push(page.movement.map((m) => [m.sequence, m.document, m.qty]));
      if (page.next === after) break;
      after = page.next;
    }
    expect(pages).toEqual([
      [
        [1, 'WMS-000001', 1],
        [2, 'WMS-000002', 2],
      ],
      [
        [3, 'WMS-000003', 3],
        [4, 'WMS-000004', 4],
      ],
      [[5, 'WMS-000005', 5]],
      [],
    ]);
    expect(await client.movements(5, 2, T)).toEqual({ movement: [], next: 5 });
    // A cursor past the end comes back as the end: nothing is skipped once more arrive.
    expect(await client.movements(99, 2, T)).toEqual({ movement: [], next: 5 });
    expect((await failure(client.movements(0, 0, T))).kind).toBe('fault');
  });

  it('a shipment consumes its allocation: off the shelves and out of the allocated units, once', async () => {
    const { simulator, client } = await start(SITES);
    await stock(simulator, 'RTM-2', 'SKU-S', 5);
    await client.allocate('r-1', 'SKU-S', 3, T, 'RTM-2');
    const shipped = await move(simulator, { document: 'WMS-SHIP-1', type: 'shipment', reservationId: 'r-1' });
    expect(shipped).toMatchObject({ status: 201, body: { type: 'shipment', location: 'RTM-2', sku: 'SKU-S', qty: 3, delta: -3, reservationId: 'r-1' } });
    expect(await client.stockLevels(T)).toEqual([level('RTM-2', 'SKU-S', 2, 0, 3)]);
    // Shipped once: a second document for it is refused, and a cancel gives nothing back.
    expect(await move(simulator, { document: 'WMS-SHIP-2', type: 'shipment', reservationId: 'r-1' })).toMatchObject({ status: 409, body: { error: { code: 'not_allocated' } } });
    expect(await client.cancel('r-1', T)).toEqual({ status: 'cancelled' });
    expect(await client.stockLevels(T)).toEqual([level('RTM-2', 'SKU-S', 2, 0, 3)]);
    // Nothing to ship for a refused or unknown reservation.
    await client.allocate('r-2', 'SKU-S', 3, T, 'RTM-2');
    expect(await move(simulator, { document: 'WMS-SHIP-3', type: 'shipment', reservationId: 'r-2' })).toMatchObject({ status: 409 });
    expect(await move(simulator, { document: 'WMS-SHIP-4', type: 'shipment', reservationId: 'r-never' })).toMatchObject({ status: 409 });
    expect((await client.movements(0, 10, T)).movement.map((m) => m.document)).toEqual(['WMS-SHIP-1']);
  });

  it('levels after a mix of receipts, counts, damage, allocations, shipments and cancels', async () => {
    const { simulator, client } = await start(SITES);
    await stock(simulator, 'AMS-1', 'SKU-M', 10);
    await move(simulator, { document: 'D-1', type: 'receipt', location: 'AMS-1', sku: 'SKU-M', qty: 5 });
    await client.allocate('r-1', 'SKU-M', 4, T, 'AMS-1');
    await client.allocate('r-2', 'SKU-M', 2, T, 'AMS-1');
    // A count is absolute: 15 were expected, 13 found.
    expect(await move(simulator, { document: 'D-2', type: 'count', location: 'AMS-1', sku: 'SKU-M', qty: 13 })).toMatchObject({ body: { qty: 13, delta: -2 } });
    await move(simulator, { document: 'D-3', type: 'damage', location: 'AMS-1', sku: 'SKU-M', qty: 1 });
    await move(simulator, { document: 'D-4', type: 'shipment', reservationId: 'r-1' });
    await client.cancel('r-2', T);
    await move(simulator, { document: 'D-5', type: 'receipt', sku: 'SKU-N', qty: 7 });
    await move(simulator, { document: 'D-6', type: 'receipt', location: 'RTM-2', sku: 'SKU-M', qty: 2 });
    expect(await move(simulator, { document: 'D-7', type: 'damage', location: 'RTM-2', sku: 'SKU-M', qty: 3 })).toMatchObject({ status: 409, body: { error: { code: 'insufficient_stock' } } });
    expect(await move(simulator, { document: 'D-8', type: 'receipt', location: 'NOWHERE', sku: 'SKU-M', qty: 3 })).toMatchObject({ status: 404, body: { error: { code: 'unknown_location' } } });
    expect(await move(simulator, { document: 'D-9', type: 'receipt', location: 'AMS-1', sku: 'SKU-M', qty: 0 })).toMatchObject({ status: 400 });

    expect(byPlace(await client.stockLevels(T))).toEqual([level('AMS-1', 'SKU-M', 8, 0, 4), level('AMS-1', 'SKU-N', 7, 0, 0), level('RTM-2', 'SKU-M', 2, 0, 0)]);
    expect((await client.movements(0, 100, T)).movement.map((m) => [m.document, m.delta])).toEqual([
      ['D-1', 5],
      ['D-2', -2],
      ['D-3', -1],
      ['D-4', -4],
      ['D-5', 7],
      ['D-6', 2],
    ]);
    // What the admin API said before locations: units free at the default location.
    expect((await admin(simulator, 'GET', '/admin/stock')).body).toEqual({ defaultStock: 1_000_000, skus: { 'SKU-M': 8, 'SKU-N': 7 } });
  });
});

describe('state on disk', () => {
  it('a restart keeps the levels, the movements, the document numbers and the sequence', async () => {
    const restart = dataDir('restart-stock');
    const before = await start({ ...SITES, dataDir: restart });
    await stock(before.simulator, 'AMS-1', 'SKU-R', 4);
    const receipt = await move(before.simulator, { document: 'WMS-1', type: 'receipt', location: 'AMS-1', sku: 'SKU-R', qty: 6 });
    await before.client.allocate('r-1', 'SKU-R', 3, T, 'AMS-1');
    await move(before.simulator, { document: 'WMS-2', type: 'shipment', reservationId: 'r-1' });
    await before.client.allocate('r-2', 'SKU-R', 5, T, 'AMS-1');
    const levels = await before.client.stockLevels(T);
    const movements = await before.client.movements(0, 10, T);
    await before.simulator.close();

    const after = await start({ ...SITES, dataDir: restart });
    expect(await after.client.stockLevels(T)).toEqual(levels);
    expect(levels).toEqual([level('AMS-1', 'SKU-R', 7, 5, 3)]);
    expect(await after.client.movements(0, 10, T)).toEqual(movements);
    expect(await move(after.simulator, { document: 'WMS-1', type: 'receipt', location: 'AMS-1', sku: 'SKU-R', qty: 6 })).toEqual({ status: 200, body: receipt.body });
    expect(isStockRefusal(await after.client.allocate('r-3', 'SKU-R', 3, T, 'AMS-1'))).toBe(true);
    // The shipped allocation stays shipped; the next document takes the next sequence.
    expect(await move(after.simulator, { document: 'WMS-3', type: 'shipment', reservationId: 'r-1' })).toMatchObject({ status: 409 });
    expect(await move(after.simulator, { document: 'WMS-3', type: 'shipment', reservationId: 'r-2' })).toMatchObject({ status: 201, body: { sequence: 3 } });
  });

  it('a state file from before locations keeps its units left at the default location', async () => {
    const old = dataDir('before-locations');
    await mkdir(old, { recursive: true });
    const record = { reservationId: 'r-old', sku: 'SKU-X', qty: 2, status: 'allocated', allocationId: 'alloc_old', reason: null, updatedAt: new Date().toISOString() };
    await writeFile(join(old, 'state.json'), JSON.stringify({ stock: { 'SKU-X': 4 }, records: [record] }));
    const { simulator, client } = await start({ dataDir: old });
    expect(await client.stockLevels(T)).toEqual([level('default', 'SKU-X', 6, 2, 0)]);
    expect((await admin(simulator, 'GET', '/admin/stock')).body).toEqual({ defaultStock: 1_000_000, skus: { 'SKU-X': 4 } });
    await client.cancel('r-old', T);
    expect(await client.stockLevels(T)).toEqual([level('default', 'SKU-X', 6, 0, 0)]);
  });
});

describe('faults apply to the stock operations as to the others', () => {
  it('faultRate 1 on GetStockLevels and ListMovements: SOAP Server faults; other operations unharmed', async () => {
    const { simulator, client } = await start({ ...SITES, random: () => 0.5, faults: { faultRate: 1, operations: ['GetStockLevels', 'ListMovements'] } });
    expect(await failure(client.stockLevels(T))).toMatchObject({ kind: 'fault', message: expect.stringContaining('injected fault') });
    expect(await failure(client.movements(0, 10, T))).toMatchObject({ kind: 'fault', message: expect.stringContaining('injected fault') });
    await stock(simulator, 'AMS-1', 'SKU-F', 1);
    expect(await client.allocate('r-1', 'SKU-F', 1, T)).toMatchObject({ status: 'allocated' });
    await admin(simulator, 'PUT', '/admin/faults', { faultRate: 0 });
    expect(await client.stockLevels(T)).toEqual([level('AMS-1', 'SKU-F', 1, 1, 0)]);
  });

  it('by default the faults cover every operation; timeouts and duplicates hit the new ones too', async () => {
    const { simulator, client } = await start({ ...SITES, random: () => 0 });
    expect(await admin(simulator, 'GET', '/admin/faults')).toMatchObject({ body: { operations: expect.arrayContaining(['GetStockLevels', 'ListMovements']) } });
    await stock(simulator, 'AMS-1', 'SKU-D', 3);
    await admin(simulator, 'PUT', '/admin/faults', { duplicateRate: 1 });
    // Delivered twice, allocated once.
    expect(await client.allocate('r-1', 'SKU-D', 2, T, 'AMS-1')).toMatchObject({ status: 'allocated' });
    expect(await client.stockLevels(T)).toEqual([level('AMS-1', 'SKU-D', 3, 2, 0)]);
    await admin(simulator, 'PUT', '/admin/faults', { timeoutRate: 1 });
    expect(await failure(client.movements(0, 10, 300))).toMatchObject({ kind: 'timeout' });
  });

  it('an outage takes the stock operations down with the rest', async () => {
    const { simulator, client } = await start(SITES);
    await admin(simulator, 'POST', '/admin/outage', { forMs: 60_000 });
    expect((await failure(client.stockLevels(T))).kind).toBe('unavailable');
  });
});

describe('real SOAP 1.1 on the wire', () => {
  it('a hand-written GetStockLevels and ListMovements get SOAP 1.1 answers', async () => {
    const { simulator } = await start(SITES);
    await move(simulator, { document: 'WMS-000123', type: 'receipt', location: 'AMS-1', sku: 'SKU-W', qty: 4 });
    const levels = await soapPost(simulator, envelope('<w:GetStockLevels><w:location>AMS-1</w:location></w:GetStockLevels>'), 'urn:flash-sale:wms/GetStockLevels');
    expect(levels.status).toBe(200);
    expect(await levels.text()).toMatch(/<level><location>AMS-1<\/location><sku>SKU-W<\/sku><physical>4<\/physical><allocated>0<\/allocated><shipped>0<\/shipped><\/level>/);
    const page = await soapPost(simulator, envelope('<w:ListMovements><w:after>0</w:after><w:limit>10</w:limit></w:ListMovements>'), 'urn:flash-sale:wms/ListMovements');
    const text = await page.text();
    expect(text).toContain('<document>WMS-000123</document>');
    expect(text).toMatch(/<next>1<\/next>/);
  });
});
