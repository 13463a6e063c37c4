import { describe, expect, it } from 'vitest';
import { changedAt, levelsOf, liveDocuments, movementOf, postedAt, recordOf, recordsOf, strayDocuments } from '../../../bridge/sap/mapping';
import { PlantMap } from '../../../bridge/sap/plants';
import { many, MaterialDocumentHeaderSchema, MaterialDocumentItemSchema, ReservationItemSchema, StockSchema } from '../../../bridge/sap/wire';

/** SAP's documents as the warehouse port speaks of them: the adapter's mapping, read from wire JSON as SAP writes it. */

const plants = new PlantMap({ 'FRA-1': { plant: '1010', storageLocation: '0001' }, 'MUC-1': { plant: '1010', storageLocation: '0002' } });
const at = (iso: string) => `/Date(${Date.parse(iso)})/`;
const etag = (iso: string) => `W/"datetime'${encodeURIComponent(`${iso.slice(0, 23)}0000`)}'"`;

const item = (reservation: string, text: string, change: Record<string, unknown> = {}) => ({
  __metadata: { uri: `x/A_ReservationDocumentItem(Reservation='${reservation}')`, type: 'T', etag: etag('2026-12-06T10:00:00.000Z') },
  Reservation: reservation,
  ReservationItem: '0001',
  RecordType: '',
  Product: 'SKU-A',
  Plant: '1010',
  StorageLocation: '0001',
  ResvnItmRequiredQtyInEntryUnit: '3.000',
  EntryUnit: 'PC',
  ReservationItemText: text,
  ReservationItmIsMarkedForDeltn: false,
  ReservationItemIsFinallyIssued: false,
  ResvnItmWithdrawnQtyInBaseUnit: '0.000',
  MatlCompRequirementDate: at('2026-12-06T00:00:00Z'),
  ...change,
});
const items = (...rows: object[]) => many(ReservationItemSchema).parse({ d: { results: rows } });

const documentItem = (number: string, change: Record<string, unknown> = {}) => ({
  MaterialDocumentYear: '2026',
  MaterialDocument: number,
  MaterialDocumentItem: '0001',
  Material: 'SKU-A',
  Plant: '1010',
  StorageLocation: '0002',
  GoodsMovementType: '101',
  QuantityInEntryUnit: '5.000',
  EntryUnit: 'PC',
  DebitCreditCode: 'S',
  Reservation: '',
  ReservationItem: '',
  PostingDate: at('2026-12-06T00:00:00Z'),
  ...change,
});
const readItem = (row: object) => MaterialDocumentItemSchema.parse(row);

describe('stray documents: creates that landed after their reference was settled (ADR 0017)', () => {
  it("every live document but its reference's first: a younger duplicate, or one landed after the cancel that flagged the first; never the first, never another system's", () => {
    const deleted = { ReservationItmIsMarkedForDeltn: true };
    const found = strayDocuments(
      items(
        item('0000000001', 'r1'),
        item('0000000002', 'r2', deleted),
        item('0000000003', 'r3'),
        item('0000000004', 'r1'),
        item('0000000005', 'r2'),
        item('0000000006', 'r1', deleted),
        item('0000000007', ''),
        item('0000000008', ''),
      ),
    );
    expect(found).toEqual(['0000000004', '0000000005']);
    expect(strayDocuments(items(item('0000000009', 'r9'), item('0000000003', 'r3')))).toEqual([]);
  });
});

describe('reservation documents → the WMS record of a reference', () => {
  it('the lowest live document is the allocation (SAP number as allocationId), a later one a duplicate to delete', () => {
    const found = items(item('0000000007', 'res_a'), item('0000000003', 'res_a'), item('0000000005', 'res_a', { ReservationItmIsMarkedForDeltn: true }));
    expect(liveDocuments(found)).toEqual(['0000000003', '0000000007']);
    expect(recordOf('res_a', found)).toEqual({
      reservationId: 'res_a',
      sku: 'SKU-A',
      qty: 3,
      status: 'allocated',
      allocationId: '0000000003',
      reason: null,
      updatedAt: '2026-12-06T10:00:00.000Z',
    });
  });

  it('every document flagged for deletion: cancelled (the last one); none: no record (SAP keeps no refusals)', () => {
    const flagged = { ReservationItmIsMarkedForDeltn: true };
    expect(recordOf('res_b', items(item('0000000001', 'res_b', flagged), item('0000000002', 'res_b', flagged)))).toMatchObject({ status: 'cancelled', allocationId: '0000000002' });
    expect(recordOf('res_b', items(item('0000000001', 'res_other')))).toBeNull();
  });

  it('a shipped allocation (finally issued) is still allocated, as the SOAP warehouse keeps it', () => {
    expect(recordOf('res_c', items(item('0000000004', 'res_c', { ReservationItemIsFinallyIssued: true, ResvnItmWithdrawnQtyInBaseUnit: '3.000' })))).toMatchObject({ status: 'allocated', qty: 3 });
  });

  it('lists one record per reference; items without a text are not ours', () => {
    const records = recordsOf(items(item('0000000001', 'res_b'), item('0000000002', ''), item('0000000003', 'res_a@FRA-1')));
    expect(records.map((r) => [r.reservationId, r.allocationId])).toEqual([
      ['res_a@FRA-1', '0000000003'],
      ['res_b', '0000000001'],
    ]);
  });

  it('its time is the ETag (SAP\'s last change), else the requirement date set at creation', () => {
    const [withEtag, without] = items(item('1', 'r', { __metadata: { uri: 'u', type: 't', etag: etag('2026-12-06T11:12:13.456Z') } }), item('2', 'r', { __metadata: { uri: 'u', type: 't' } }));
    expect(changedAt(withEtag!).toISOString()).toBe('2026-12-06T11:12:13.456Z');
    expect(changedAt(without!).toISOString()).toBe('2026-12-06T00:00:00.000Z');
  });

  it('refuses what is not SAP\'s JSON: a quantity as a number, a date not /Date(ms)/', () => {
    expect(ReservationItemSchema.safeParse(item('1', 'r', { ResvnItmRequiredQtyInEntryUnit: 3 })).success).toBe(false);
    expect(ReservationItemSchema.safeParse(item('1', 'r', { MatlCompRequirementDate: '2026-12-06' })).success).toBe(false);
  });
});

describe('material document items → the feed\'s movements', () => {
  const header = MaterialDocumentHeaderSchema.parse({ MaterialDocument: '4900000012', CreationDate: at('2026-12-06T00:00:00Z'), CreationTime: 'PT10H04M59S' });

  it('sequence = number - 4900000000; type from the movement type, sign from debit/credit, location from plant and storage location', () => {
    const receipt = readItem(documentItem('4900000012'));
    expect(movementOf(receipt, plants, null, postedAt(receipt, header))).toEqual({
      sequence: 12,
      document: '4900000012',
      type: 'receipt',
      location: 'MUC-1',
      sku: 'SKU-A',
      qty: 5,
      delta: 5,
      reservationId: null,
      at: '2026-12-06T10:04:59.000Z',
    });
    const loss = readItem(documentItem('4900000013', { GoodsMovementType: '702', DebitCreditCode: 'H', QuantityInEntryUnit: '2.000' }));
    expect(movementOf(loss, plants, null, postedAt(loss, undefined))).toMatchObject({ sequence: 13, type: 'count', qty: 2, delta: -2, at: '2026-12-06T00:00:00.000Z' });
    const scrap = readItem(documentItem('4900000014', { GoodsMovementType: '551', DebitCreditCode: 'H', StorageLocation: '0001' }));
    expect(movementOf(scrap, plants, null, new Date(0))).toMatchObject({ type: 'damage', location: 'FRA-1', delta: -5 });
    const issue = readItem(documentItem('4900000015', { GoodsMovementType: '201', DebitCreditCode: 'H', Reservation: '0000000003', ReservationItem: '0001' }));
    expect(movementOf(issue, plants, 'res_a@MUC-1', new Date(0))).toMatchObject({ type: 'shipment', delta: -5, reservationId: 'res_a@MUC-1' });
  });

  it.each([
    ['an unknown movement type', { GoodsMovementType: '311' }, /goods movement type 311 is none the feed knows/],
    ['a plant none of our locations maps to', { Plant: '2020' }, /plant 2020 storage location 0002 is no location of this warehouse's plants mapping/],
    ['a fraction of a unit', { QuantityInEntryUnit: '1.500' }, /quantity 1\.5 is not a whole number of units/],
    ['a document below the range', { MaterialDocument: '4800000001' }, /below the range the feed counts from \(4900000001\)/],
  ])('names what it cannot map, rather than guess: %s', (_, change, reason) => {
    const row = readItem(documentItem('4900000020', change));
    expect(movementOf(row, plants, null, new Date(0))).toMatch(reason);
  });
});

describe('stock and open reservations → levels per location', () => {
  const stock = (change: Record<string, unknown>) => StockSchema.parse({ Material: 'SKU-A', Plant: '1010', StorageLocation: '0001', InventoryStockType: '01', MatlWrhsStkQtyInMatlBaseUnit: '10.000', ...change });

  it('physical from unrestricted stock (type 01), allocated from open items, shipped from what was withdrawn; other plants left out', () => {
    const rows = [stock({}), stock({ InventoryStockType: '07', MatlWrhsStkQtyInMatlBaseUnit: '99.000' }), stock({ Plant: '9999' }), stock({ Material: 'SKU-B', StorageLocation: '0002', MatlWrhsStkQtyInMatlBaseUnit: '4.000' })];
    const open = items(
      item('0000000001', 'r1'),
      item('0000000002', 'r2', { ReservationItmIsMarkedForDeltn: true }),
      item('0000000003', 'r3', { ReservationItemIsFinallyIssued: true, ResvnItmWithdrawnQtyInBaseUnit: '3.000' }),
      item('0000000004', '', { ResvnItmRequiredQtyInEntryUnit: '2.000' }),
    );
    expect(levelsOf(rows, open, plants)).toEqual([
      { location: 'FRA-1', sku: 'SKU-A', physical: 10, allocated: 5, shipped: 3 },
      { location: 'MUC-1', sku: 'SKU-B', physical: 4, allocated: 0, shipped: 0 },
    ]);
    expect(levelsOf(rows, open, plants, 'MUC-1')).toEqual([{ location: 'MUC-1', sku: 'SKU-B', physical: 4, allocated: 0, shipped: 0 }]);
  });
});
