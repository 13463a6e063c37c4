import { z } from 'zod';
import { OUT_OF_STOCK } from '../wms/records';
import { WmsError, type AllocateResult, type Movement, type WmsClient } from '../wms/client';
import { levelsOf, liveDocuments, strayDocuments, materialDocumentAfter, MAX_REFERENCE_LENGTH, movementOf, postedAt, recordOf, recordsOf, sequenceOf } from './mapping';
import { PlantMap, type Plants, type PlantSite } from './plants';
import { bodyOf, deadline, errorCode, ODataSession, refused, type Deadline, type SapConnection, type Service } from './session';
import {
  edmDateTime,
  literal,
  many,
  MaterialDocumentHeaderSchema,
  MaterialDocumentItemSchema,
  one,
  ReservationHeaderSchema,
  ReservationItemSchema,
  StockSchema,
  type MaterialDocumentHeader,
  type MaterialDocumentItem,
  type ReservationItem,
  type Stock,
} from './wire';

/**
 * The bridge's warehouse port over an SAP S/4HANA system's OData V2 APIs (ADR 0017): an
 * allocation is a reservation document whose one item carries our reference in
 * `ReservationItemText`; a cancel flags it for deletion; the feed reads material documents.
 *
 * SAP takes no idempotency key from the caller, so every allocate finds the reference first and
 * creates only when nothing carries it; after creating it looks again and deletes any younger
 * duplicate a concurrent or late create left, so the lowest document number is the allocation.
 */
export type SapClientConfig = SapConnection & { plants: Plants };
/**
 * What a sweep round deleted, and the highest reservation number it read (null: none yet), from
 * which the next round reads on.
 */
export type SweepRound = { deleted: string[]; through: string | null };
/** The port, and the sweep of stray documents only this warehouse can leave (no idempotency key at SAP). */
export type SapClient = WmsClient & {
  /** `after`: the last round's `through`, or null for a full round over every document of ours. */
  sweepStrays(after: string | null, timeoutMs: number): Promise<SweepRound>;
};

const RESERVATIONS: Service = 'API_RESERVATION_DOCUMENT_SRV';
const STOCK: Service = 'API_MATERIAL_STOCK_SRV';
const DOCUMENTS: Service = 'API_MATERIAL_DOCUMENT_SRV';
/** SAP's stock refusal: "Deficit of SL Unrestricted-use …". */
const DEFICIT = 'M7/021';
/** Rows per read of a whole entity set; SAP Gateway serves pages of this size comfortably. */
const PAGE = 500;
/** Goods issue for a cost center: what a reservation for an outbound sale is booked as. */
const GOODS_ISSUE = '201';
const COST_CENTER = 'FLASHSALE';
const ITEM_ORDER = 'Reservation,ReservationItem';
/** References per `or`-joined read of a sweep: 20 texts of up to 50 characters keep the URL near 2 KB. */
const REFERENCE_BATCH = 20;
/** Items with a text only: an SAP system holds every department's reservations, ours carry a reference. */
const OURS = `ReservationItemText ne ''`;

const query = (params: Record<string, string | number>) =>
  Object.entries(params)
    .map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`)
    .join('&');

export function createSapClient(config: SapClientConfig): SapClient {
  const session = new ODataSession(config);
  const plants = new PlantMap(config.plants);
  /** A reservation's number → our reference: fixed once created, so the feed asks once per shipment's reservation. */
  const referenceOf = new Map<string, string>();

  async function get<T>(operation: string, service: Service, path: string, schema: z.ZodType<T>, d: Deadline): Promise<T> {
    const reply = await session.send(operation, { method: 'GET', service, path }, d);
    if (reply.status !== 200) throw refused(operation, reply);
    return bodyOf(operation, reply, schema);
  }

  /** What `filter` keeps of an entity set, page by page. */
  async function readAll<T>(operation: string, service: Service, entitySet: string, orderBy: string, filter: string, schema: z.ZodType<T>, d: Deadline): Promise<T[]> {
    const rows: T[] = [];
    // Ordered by key: SAP numbers new documents upwards, so they land on later pages, not between read ones.
    for (let skip = 0; ; skip += PAGE) {
      const page = await get(operation, service, `${entitySet}?${query({ $filter: filter, $orderby: orderBy, $top: PAGE, $skip: skip })}`, many(schema), d);
      rows.push(...page);
      if (page.length < PAGE) return rows;
    }
  }

  function checkReference(operation: string, reference: string): void {
    if (reference.length > MAX_REFERENCE_LENGTH) {
      throw new WmsError('fault', `${operation}: reference ${reference} is longer than SAP's ReservationItemText (${MAX_REFERENCE_LENGTH} characters); nothing was sent`);
    }
  }

  const find = (operation: string, reference: string, d: Deadline) =>
    get(operation, RESERVATIONS, `A_ReservationDocumentItem?${query({ $filter: `ReservationItemText eq ${literal(reference)}` })}`, many(ReservationItemSchema), d);

  /** Flags a reservation document for deletion (SAP releases its units); deleting one flagged already answers 204 too. */
  async function deleteDocument(operation: string, reservation: string, d: Deadline): Promise<void> {
    const path = `A_ReservationDocumentHeader(${literal(reservation)})`;
    for (let attempt = 1; ; attempt++) {
      const read = await session.send(operation, { method: 'GET', service: RESERVATIONS, path }, d);
      if (read.status === 404) return;
      if (read.status !== 200) throw refused(operation, read);
      const etag = read.headers.get('etag') ?? bodyOf(operation, read, one(ReservationHeaderSchema)).__metadata.etag;
      if (!etag) throw new WmsError('fault', `${operation}: reservation ${reservation} came without an ETag to delete it by`);
      const reply = await session.send(operation, { method: 'DELETE', service: RESERVATIONS, path, ifMatch: etag }, d);
      if (reply.status === 204 || reply.status === 200 || reply.status === 404) return;
      // Changed since read (a concurrent cancel or shipment): read it again, once.
      if (reply.status !== 412 || attempt === 2) throw refused(operation, reply);
    }
  }

  /** The reference's allocation: its lowest live document; any other live one is a duplicate, deleted. */
  async function settle(operation: string, items: readonly ReservationItem[], d: Deadline): Promise<AllocateResult> {
    const [allocation, ...duplicates] = liveDocuments(items);
    if (allocation === undefined) return { status: 'cancelled' };
    for (const duplicate of duplicates) await deleteDocument(operation, duplicate, d);
    return { status: 'allocated', allocationId: allocation };
  }

  async function create(operation: string, reference: string, sku: string, qty: number, site: PlantSite, d: Deadline): Promise<AllocateResult | null> {
    const now = edmDateTime(new Date());
    const body = {
      GoodsMovementType: GOODS_ISSUE,
      CostCenter: COST_CENTER,
      ReservationDate: now,
      to_ReservationDocumentItem: [
        {
          Product: sku,
          Plant: site.plant,
          StorageLocation: site.storageLocation,
          ResvnItmRequiredQtyInEntryUnit: String(qty),
          EntryUnit: 'PC',
          ReservationItemText: reference,
          MatlCompRequirementDate: now,
        },
      ],
    };
    const reply = await session.send(operation, { method: 'POST', service: RESERVATIONS, path: 'A_ReservationDocumentHeader', body }, d);
    if (reply.status === 400 && errorCode(reply) === DEFICIT) return { status: 'rejected', reason: OUT_OF_STOCK };
    if (reply.status !== 201 && reply.status !== 200) throw refused(operation, reply);
    bodyOf(operation, reply, one(ReservationHeaderSchema));
    return null;
  }

  return {
    async allocate(reference, sku, qty, timeoutMs, location) {
      const operation = 'AllocateStock';
      checkReference(operation, reference);
      const site = plants.siteOf(location);
      // As the SOAP warehouse's Client fault: the same request will never succeed.
      if (!site) throw new WmsError('fault', `${operation}: location ${location ?? plants.defaultLocation} has no plant and storage location in this warehouse's plants mapping`);
      const d = deadline(timeoutMs);
      const found = await find(operation, reference, d);
      if (found.length > 0) return settle(operation, found, d);
      const refusal = await create(operation, reference, sku, qty, site, d);
      const after = await find(operation, reference, d);
      // A refusal speaks for its own request only: a copy of it delivered twice (or an earlier one landing late) may hold the units.
      if (refusal && liveDocuments(after).length === 0) return refusal;
      return settle(operation, after, d);
    },

    async cancel(reference, timeoutMs) {
      const operation = 'CancelAllocation';
      checkReference(operation, reference);
      const d = deadline(timeoutMs);
      // A create still travelling lands after this: the saga cancels once more when none can (src/domain/allocation/cancels.ts).
      for (const reservation of liveDocuments(await find(operation, reference, d))) await deleteDocument(operation, reservation, d);
      return { status: 'cancelled' };
    },

    async get(reference, timeoutMs) {
      checkReference('GetAllocation', reference);
      return recordOf(reference, await find('GetAllocation', reference, deadline(timeoutMs)));
    },

    async list(timeoutMs) {
      return recordsOf(await readAll('ListAllocations', RESERVATIONS, 'A_ReservationDocumentItem', ITEM_ORDER, OURS, ReservationItemSchema, deadline(timeoutMs)));
    },

    async sweepStrays(after, timeoutMs) {
      const operation = 'SweepStrays';
      const d = deadline(timeoutMs);
      const read = (filter: string) => readAll(operation, RESERVATIONS, 'A_ReservationDocumentItem', ITEM_ORDER, filter, ReservationItemSchema, d);
      // Only documents numbered since the last round can be new strays (SAP numbers upwards)…
      const fresh = await read(after === null ? OURS : `${OURS} and Reservation gt ${literal(after)}`);
      // …but each is judged against its reference's first document, which may be older: their references are read whole.
      const judged = after === null ? fresh : [];
      const references = after === null ? [] : [...new Set(fresh.map((item) => item.ReservationItemText))];
      for (let i = 0; i < references.length; i += REFERENCE_BATCH) {
        judged.push(...(await read(references.slice(i, i + REFERENCE_BATCH).map((reference) => `ReservationItemText eq ${literal(reference)}`).join(' or '))));
      }
      const deleted = strayDocuments(judged);
      for (const reservation of deleted) await deleteDocument(operation, reservation, d);
      // Read in number order: the last is the highest.
      return { deleted, through: fresh.at(-1)?.Reservation ?? after };
    },

    async stockLevels(timeoutMs, location) {
      const operation = 'GetStockLevels';
      const d = deadline(timeoutMs);
      if (location !== undefined && !plants.siteOf(location)) return [];
      // Site by site: only our plants' storage locations are read, never the whole system's stock.
      const stock: Stock[] = [];
      const items: ReservationItem[] = [];
      for (const each of location === undefined ? plants.locations : [location]) {
        const { plant, storageLocation } = plants.siteOf(each)!;
        const at = `Plant eq ${literal(plant)} and StorageLocation eq ${literal(storageLocation)}`;
        stock.push(...(await readAll(operation, STOCK, 'A_MatlStkInAcctMod', 'Material,Plant,StorageLocation', at, StockSchema, d)));
        items.push(...(await readAll(operation, RESERVATIONS, 'A_ReservationDocumentItem', ITEM_ORDER, at, ReservationItemSchema, d)));
      }
      return levelsOf(stock, items, plants, location);
    },

    async movements(after, limit, timeoutMs) {
      const operation = 'ListMovements';
      const d = deadline(timeoutMs);
      const filter = `MaterialDocument gt ${literal(materialDocumentAfter(after))}`;
      const path = `A_MaterialDocumentItem?${query({ $filter: filter, $orderby: 'MaterialDocument,MaterialDocumentItem', $top: limit })}`;
      const items = await get(operation, DOCUMENTS, path, many(MaterialDocumentItemSchema), d);
      const headers = await postings(operation, items, d);
      const movements: Movement[] = [];
      for (const item of items) {
        if (movements.at(-1)?.document === item.MaterialDocument) {
          throw new WmsError('fault', `${operation}: material document ${item.MaterialDocument} has more than one item; the feed counts one movement per document (its sequence)`);
        }
        const reference = item.Reservation ? await reservationReference(operation, item.Reservation, d) : null;
        const movement = movementOf(item, plants, reference, postedAt(item, headers.get(item.MaterialDocument)));
        if (typeof movement === 'string') throw new WmsError('fault', `${operation}: ${movement}`);
        movements.push(movement);
      }
      if (movements.length > 0) return { movement: movements, next: movements.at(-1)!.sequence };
      // "Never beyond the last": asked past the end, the latest sequence (latestSequence's probe).
      const latest = await get(operation, DOCUMENTS, `A_MaterialDocumentHeader?${query({ $orderby: 'MaterialDocument desc', $top: 1 })}`, many(MaterialDocumentHeaderSchema), d);
      return { movement: [], next: Math.min(after, latest[0] ? Math.max(0, sequenceOf(latest[0].MaterialDocument)) : 0) };
    },
  };

  /** The headers of a page's documents, in one read: they say when each was entered. */
  async function postings(operation: string, items: readonly MaterialDocumentItem[], d: Deadline): Promise<Map<string, MaterialDocumentHeader>> {
    if (items.length === 0) return new Map();
    const [first, last] = [items[0]!.MaterialDocument, items.at(-1)!.MaterialDocument];
    const filter = `MaterialDocument ge ${literal(first)} and MaterialDocument le ${literal(last)}`;
    const headers = await get(operation, DOCUMENTS, `A_MaterialDocumentHeader?${query({ $filter: filter })}`, many(MaterialDocumentHeaderSchema), d);
    return new Map(headers.map((header) => [header.MaterialDocument, header]));
  }

  async function reservationReference(operation: string, reservation: string, d: Deadline): Promise<string | null> {
    const known = referenceOf.get(reservation);
    if (known !== undefined) return known;
    const items = await get(operation, RESERVATIONS, `A_ReservationDocumentItem?${query({ $filter: `Reservation eq ${literal(reservation)}` })}`, many(ReservationItemSchema), d);
    const reference = items.find((item) => item.ReservationItemText)?.ReservationItemText ?? null;
    if (reference !== null) referenceOf.set(reservation, reference);
    return reference;
  }
}
