import type { Movement, MovementType, StockLevel } from '../wms/movements';
import type { WmsRecord } from '../wms/records';
import type { PlantMap } from './plants';
import type { MaterialDocumentHeader, MaterialDocumentItem, ReservationItem, Stock } from './wire';

/**
 * SAP's documents as the warehouse port speaks of them, without I/O (ADR 0017 has the tables):
 * reservation items carrying our reference → WmsRecord, material document items → Movement,
 * stock and open reservations → StockLevel. A document the port cannot express is a reason
 * (a string), which the adapter reports as a fault rather than guess.
 */

/** `ReservationItemText` is CHAR 50 in SAP: a longer reference would be cut and found by no one. */
export const MAX_REFERENCE_LENGTH = 50;
/** SAP's first material document number of the range; the feed's sequence counts from it. */
export const FIRST_DOCUMENT = 4_900_000_000;
export const sequenceOf = (materialDocument: string) => Number(materialDocument) - FIRST_DOCUMENT;
export const materialDocumentAfter = (sequence: number) => String(FIRST_DOCUMENT + sequence).padStart(10, '0');

/** Goods movement types by what they mean to the feed; the sign comes from the debit/credit code. */
export const MOVEMENT_TYPES: Readonly<Record<string, MovementType>> = {
  '101': 'receipt', // goods receipt
  '102': 'receipt', // its reversal
  '701': 'count', // inventory difference (gain)
  '702': 'count', // inventory difference (loss)
  '551': 'damage', // scrapping
  '552': 'damage', // its reversal
  '201': 'shipment', // goods issue for a cost center (against our reservation)
  '202': 'shipment',
  '261': 'shipment', // goods issue for an order
  '262': 'shipment',
};

const isLive = (item: ReservationItem) => !item.ReservationItmIsMarkedForDeltn;

/** The reservation documents with a live item, lowest number first: the first is the allocation, any other a duplicate. */
export function liveDocuments(items: readonly ReservationItem[]): string[] {
  return [...new Set(items.filter(isLive).map((item) => item.Reservation))].sort();
}

/**
 * Documents of our references that no allocation can be (ADR 0017's window): every live document
 * but the reference's first (lowest number). A create that travelled past every call about its
 * reference lands with a higher number than the allocation the saga confirmed, or after the
 * cancel that flagged the first; the first itself is never a stray.
 */
export function strayDocuments(items: readonly ReservationItem[]): string[] {
  const first = new Map<string, string>();
  for (const item of items) {
    const known = first.get(item.ReservationItemText);
    if (item.ReservationItemText && (known === undefined || item.Reservation < known)) first.set(item.ReservationItemText, item.Reservation);
  }
  return liveDocuments(items.filter((item) => item.ReservationItemText && first.get(item.ReservationItemText) !== item.Reservation));
}

/**
 * One reference's record: its lowest live document (allocated, shipped or not: a shipment
 * consumes an allocation without ending it, as at the SOAP warehouse), else its last deleted
 * one (cancelled), else none. SAP keeps no refusals: a refused allocation has no record.
 */
export function recordOf(reference: string, items: readonly ReservationItem[]): WmsRecord | null {
  const mine = items.filter((item) => item.ReservationItemText === reference).sort((a, b) => a.Reservation.localeCompare(b.Reservation));
  const item = mine.find(isLive) ?? mine.at(-1);
  if (!item) return null;
  return {
    reservationId: reference,
    sku: item.Product,
    qty: Math.max(0, Math.round(item.ResvnItmRequiredQtyInEntryUnit)),
    status: isLive(item) ? 'allocated' : 'cancelled',
    allocationId: item.Reservation,
    reason: null,
    updatedAt: changedAt(item).toISOString(),
  };
}

/** Every reference's record, by the item texts (items without one are not ours). */
export function recordsOf(items: readonly ReservationItem[]): WmsRecord[] {
  const references = [...new Set(items.map((item) => item.ReservationItemText).filter(Boolean))].sort();
  return references.map((reference) => recordOf(reference, items)!);
}

/**
 * SAP's ETag of an entity is its last change (`W/"datetime'2026-12-06T10%3A00%3A00.0000000'"`),
 * the one time a deletion flag moves; without it, the requirement date the adapter set at creation.
 */
export function changedAt(item: ReservationItem): Date {
  const stamp = /datetime'([^']+)'/.exec(item.__metadata.etag ?? '')?.[1];
  const at = stamp === undefined ? Number.NaN : Date.parse(`${decodeURIComponent(stamp).slice(0, 23)}Z`);
  return Number.isNaN(at) ? (item.MatlCompRequirementDate ?? new Date(0)) : new Date(at);
}

/** When a posting was entered: its header's creation date and time, else the item's posting date (a day). */
export function postedAt(item: MaterialDocumentItem, header: MaterialDocumentHeader | undefined): Date {
  if (header?.CreationDate) return new Date(header.CreationDate.getTime() + (header.CreationTime ?? 0));
  return item.PostingDate ?? new Date(0);
}

/**
 * One material document item as a movement; `reservationText`: the reference of the reservation a
 * goods issue consumed. Its document is SAP's number: the header text is free text the edge may refuse.
 */
export function movementOf(item: MaterialDocumentItem, plants: PlantMap, reservationText: string | null, at: Date): Movement | string {
  const where = `material document ${item.MaterialDocument}/${item.MaterialDocumentItem}`;
  const type = MOVEMENT_TYPES[item.GoodsMovementType];
  if (!type) return `${where}: goods movement type ${item.GoodsMovementType} is none the feed knows (${Object.keys(MOVEMENT_TYPES).join(', ')})`;
  const location = plants.locationAt(item.Plant, item.StorageLocation);
  if (!location) return `${where}: plant ${item.Plant} storage location ${item.StorageLocation} is no location of this warehouse's plants mapping`;
  const qty = item.QuantityInEntryUnit;
  if (!Number.isInteger(qty) || qty < 0) return `${where}: quantity ${qty} is not a whole number of units`;
  const sequence = sequenceOf(item.MaterialDocument);
  if (sequence < 1) return `${where}: below the range the feed counts from (${FIRST_DOCUMENT + 1})`;
  return {
    sequence,
    document: item.MaterialDocument,
    type,
    location,
    sku: item.Material,
    qty,
    delta: item.DebitCreditCode === 'S' ? qty : -qty,
    reservationId: reservationText || null,
    at: at.toISOString(),
  };
}

/**
 * Per (location, SKU) at our plants: physical = unrestricted stock (type 01); allocated = what
 * open reservation items still require (not deleted, not finally issued); shipped = what was
 * withdrawn against reservation items (goods issues of our allocations).
 */
export function levelsOf(stock: readonly Stock[], items: readonly ReservationItem[], plants: PlantMap, location?: string): StockLevel[] {
  const levels = new Map<string, StockLevel>();
  const add = (plant: string, storageLocation: string, sku: string, units: Partial<Record<'physical' | 'allocated' | 'shipped', number>>) => {
    const at = plants.locationAt(plant, storageLocation);
    if (at === undefined || (location !== undefined && at !== location)) return;
    const key = `${at}\u0000${sku}`;
    const level = levels.get(key) ?? { location: at, sku, physical: 0, allocated: 0, shipped: 0 };
    levels.set(key, {
      ...level,
      physical: level.physical + Math.round(units.physical ?? 0),
      allocated: level.allocated + Math.round(units.allocated ?? 0),
      shipped: level.shipped + Math.round(units.shipped ?? 0),
    });
  };
  for (const row of stock) if (row.InventoryStockType === '01') add(row.Plant, row.StorageLocation, row.Material, { physical: Math.max(0, row.MatlWrhsStkQtyInMatlBaseUnit) });
  for (const item of items) {
    const open = isLive(item) && !item.ReservationItemIsFinallyIssued;
    const withdrawn = item.ResvnItmWithdrawnQtyInBaseUnit;
    add(item.Plant, item.StorageLocation, item.Product, { allocated: open ? Math.max(0, item.ResvnItmRequiredQtyInEntryUnit - withdrawn) : 0, shipped: withdrawn });
  }
  return [...levels.values()].sort((a, b) => a.location.localeCompare(b.location) || a.sku.localeCompare(b.sku));
}
