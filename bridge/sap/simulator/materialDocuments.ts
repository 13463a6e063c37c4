import type { Movement } from '../../wms/movements';
import { DOCUMENT_ITEM_SET, DOCUMENT_SET, MATERIAL_DOCUMENT_MODEL } from './model';
import { dateTime, decimal, timeOfDay, type Row } from './odataJson';
import type { PlantMap } from '../plants';
import { createODataService } from './service';
import type { SapStore } from './store';

/** Material document numbers: one per posting, from 4900000001 up; the feed's sequence is the number less this. */
export const FIRST_DOCUMENT_BASE = 4_900_000_000;
export const materialDocumentOf = (sequence: number) => String(FIRST_DOCUMENT_BASE + sequence);

/** SAP's movement type and debit/credit code of one of our movements. */
function movementType({ type, delta }: Movement): { code: string; debitCredit: 'S' | 'H' } {
  switch (type) {
    case 'receipt':
      return { code: '101', debitCredit: 'S' };
    case 'count':
      return delta >= 0 ? { code: '701', debitCredit: 'S' } : { code: '702', debitCredit: 'H' };
    case 'damage':
      return { code: '551', debitCredit: 'H' };
    case 'shipment':
      return { code: '201', debitCredit: 'H' };
  }
}

/** The posting date as SAP keeps it: the day, at midnight UTC. */
const day = (iso: string) => `${iso.slice(0, 10)}T00:00:00.000Z`;

/**
 * API_MATERIAL_DOCUMENT_SRV, read only: one material document per recorded movement, with one
 * item. Its header text is the admin's document number (our idempotency key); a goods issue names
 * the reservation item it withdrew. A count posts its difference (701 gain, 702 loss).
 */
export function createMaterialDocumentService(store: SapStore, plants: PlantMap) {
  const header = (m: Movement): Row => ({
    MaterialDocumentYear: m.at.slice(0, 4),
    MaterialDocument: materialDocumentOf(m.sequence),
    DocumentDate: dateTime(day(m.at)),
    PostingDate: dateTime(day(m.at)),
    CreationDate: dateTime(day(m.at)),
    CreationTime: timeOfDay(m.at),
    MaterialDocumentHeaderText: m.document,
  });
  const item = (m: Movement): Row => {
    const place = plants.siteOf(m.location);
    const shipment = m.type === 'shipment' ? store.shipmentOf(m.document) : undefined;
    const { code, debitCredit } = movementType(m);
    return {
      MaterialDocumentYear: m.at.slice(0, 4),
      MaterialDocument: materialDocumentOf(m.sequence),
      MaterialDocumentItem: '0001',
      Material: m.sku,
      Plant: place?.plant ?? '',
      StorageLocation: place?.storageLocation ?? '',
      GoodsMovementType: code,
      DebitCreditCode: debitCredit,
      QuantityInEntryUnit: decimal(Math.abs(m.delta)),
      EntryUnit: 'PC',
      Reservation: shipment?.reservation ?? '',
      ReservationItem: shipment?.item ?? '0000',
      PostingDate: dateTime(day(m.at)),
    };
  };
  const byNumber = async (row: Row) => (await store.movements()).filter((m) => materialDocumentOf(m.sequence) === row.MaterialDocument);
  return createODataService(MATERIAL_DOCUMENT_MODEL, {
    [DOCUMENT_SET]: { rows: async () => (await store.movements()).map(header), navigate: async (_nav, row) => (await byNumber(row)).map(item) },
    [DOCUMENT_ITEM_SET]: { rows: async () => (await store.movements()).map(item) },
  });
}
