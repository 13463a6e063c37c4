import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { Logger } from '../../logger';
import { HEADER_SET, ITEM_SET, RESERVATION_MODEL } from './model';
import { dateTime, decimal, etagOf, odataError, type Row } from './odataJson';
import { address, createODataService, findRow, toEntity, type ServiceContext } from './service';
import type { ReservationDocument, ReservationItem } from './stateFile';
import type { NewReservation, SapStore } from './store';

/** `/Date(1733443200000)/` (an offset, if any, is ignored: SAP sends UTC). */
const DateTimeSchema = z
  .string()
  .regex(/^\/Date\(-?\d+([+-]\d{4})?\)\/$/, 'an Edm.DateTime as /Date(ms)/')
  .transform((text) => new Date(Number(/-?\d+/.exec(text)![0])).toISOString());
/** Edm.Decimal arrives as a string; the simulator counts whole pieces. */
const UnitsSchema = z.union([z.string(), z.number()]).transform(Number).pipe(z.int('whole pieces only').min(1).max(1_000_000_000));
const text = (max: number) => z.string().max(max).default('');

const NewItemSchema = z.object({
  Product: z.string().min(1).max(40),
  Plant: z.string().length(4),
  StorageLocation: z.string().length(4),
  ResvnItmRequiredQtyInEntryUnit: UnitsSchema,
  EntryUnit: z.string().max(3).default('PC'),
  ReservationItemText: text(50),
  MatlCompRequirementDate: DateTimeSchema.nullish(),
});
const NewReservationSchema = z.object({
  GoodsMovementType: z.string().max(3).default('201'),
  CostCenter: text(10),
  GoodsRecipientName: text(12),
  ReservationDate: DateTimeSchema.nullish(),
  IssuingOrReceivingPlant: text(4),
  IssuingOrReceivingStorageLoc: text(4),
  // V2 deep insert: the items as an array, or wrapped in `results` as V2 writes collections.
  to_ReservationDocumentItem: z
    .union([z.array(NewItemSchema), z.object({ results: z.array(NewItemSchema) }).transform((r) => r.results)])
    .refine((items) => items.length >= 1 && items.length <= 999, 'a reservation document has 1 to 999 items'),
});

export const headerRow = (doc: ReservationDocument): Row => ({
  Reservation: doc.reservation,
  GoodsMovementType: doc.goodsMovementType,
  CostCenter: doc.costCenter,
  GoodsRecipientName: doc.goodsRecipientName,
  ReservationDate: dateTime(doc.reservationDate),
  IssuingOrReceivingPlant: doc.plant,
  IssuingOrReceivingStorageLoc: doc.storageLocation,
});

export const itemRow = (doc: ReservationDocument, item: ReservationItem): Row => ({
  Reservation: doc.reservation,
  ReservationItem: item.item,
  RecordType: '',
  Product: item.product,
  Plant: item.plant,
  StorageLocation: item.storageLocation,
  MatlCompRequirementDate: dateTime(item.requirementDate),
  ResvnItmRequiredQtyInEntryUnit: decimal(item.qty),
  EntryUnit: item.entryUnit,
  ResvnItmRequiredQtyInBaseUnit: decimal(item.qty),
  BaseUnit: 'PC',
  ResvnItmWithdrawnQtyInBaseUnit: decimal(item.withdrawn),
  ReservationItmIsMarkedForDeltn: item.deleted,
  ReservationItemIsFinallyIssued: item.finallyIssued,
  ReservationItemText: item.text,
});

/**
 * API_RESERVATION_DOCUMENT_SRV: headers with their items, created by deep insert (refused with
 * M7/021 beyond the unrestricted stock not yet reserved), read, and deleted with If-Match, which
 * flags every item for deletion and keeps the document readable.
 */
export function createReservationService(store: SapStore, logger: Logger) {
  const etag = (row: Row) => etagOf(store.peek(String(row.Reservation))!.changedAt);
  const sources = {
    [HEADER_SET]: {
      rows: async () => (await store.list()).map(headerRow),
      etag,
      navigate: async (_nav: string, row: Row) => {
        const doc = await store.get(String(row.Reservation));
        return doc ? doc.items.map((item) => itemRow(doc, item)) : [];
      },
    },
    [ITEM_SET]: { rows: async () => (await store.list()).flatMap((doc) => doc.items.map((item) => itemRow(doc, item))), etag },
  };

  return createODataService(RESERVATION_MODEL, sources, (app: Hono, context: (c: Context) => ServiceContext) => {
    app.post(`/${HEADER_SET}`, async (c) => {
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        return odataError(c, 400, 'INVALID_BODY', 'The body is not JSON');
      }
      const parsed = NewReservationSchema.safeParse(json);
      if (!parsed.success) return odataError(c, 400, 'INVALID_BODY', parsed.error.issues.map((i) => `${i.path.join('/')}: ${i.message}`).join('; '));
      const created = await store.create(newReservation(parsed.data), new Date());
      if ('refusal' in created) {
        if (created.refusal === 'unknown_place') {
          return odataError(c, 400, 'ZSIM/001', `Storage location ${created.plant} ${created.storageLocation} is not known to this warehouse`);
        }
        const { item, short } = created;
        return odataError(c, 400, 'M7/021', `Deficit of SL Unrestricted-use ${short} ${item.entryUnit} : ${item.product} ${item.plant} ${item.storageLocation}`);
      }
      logger.info({ reservation: created.reservation, items: created.items.length }, 'reservation document created');
      const ctx = context(c);
      const entity = await toEntity(ctx, { entity: RESERVATION_MODEL.entities[0]!, source: sources[HEADER_SET] }, headerRow(created), ['to_ReservationDocumentItem']);
      return c.json({ d: entity }, 201, { location: entity.__metadata.uri, etag: entity.__metadata.etag! });
    });

    app.delete('/:segment', async (c) => {
      const addressed = address(c, context(c), c.req.param('segment'));
      if (addressed instanceof Response) return addressed;
      if (addressed.entity.set !== HEADER_SET || !addressed.key) return odataError(c, 405, 'METHOD_NOT_ALLOWED', 'Only a reservation document header can be deleted');
      const row = await findRow(addressed);
      if (!row) return odataError(c, 404, 'RESOURCE_NOT_FOUND', `Resource not found: ${c.req.param('segment')}`);
      const ifMatch = c.req.header('if-match');
      if (!ifMatch) return odataError(c, 428, 'PRECONDITION_REQUIRED', 'An If-Match header is required to delete a reservation document');
      if (ifMatch !== '*' && ifMatch !== etag(row)) return odataError(c, 412, 'PRECONDITION_FAILED', 'The reservation document was changed since it was read (ETag mismatch)');
      const deleted = await store.delete(String(row.Reservation), new Date());
      if (deleted !== 'not_found') logger.info({ reservation: deleted.document.reservation }, 'reservation document flagged for deletion');
      return c.body(null, 204);
    });
  });
}

function newReservation(body: z.output<typeof NewReservationSchema>): NewReservation {
  return {
    goodsMovementType: body.GoodsMovementType,
    costCenter: body.CostCenter,
    goodsRecipientName: body.GoodsRecipientName,
    reservationDate: body.ReservationDate ?? null,
    plant: body.IssuingOrReceivingPlant,
    storageLocation: body.IssuingOrReceivingStorageLoc,
    items: body.to_ReservationDocumentItem.map((item) => ({
      product: item.Product,
      plant: item.Plant,
      storageLocation: item.StorageLocation,
      qty: item.ResvnItmRequiredQtyInEntryUnit,
      entryUnit: item.EntryUnit,
      text: item.ReservationItemText,
      requirementDate: item.MatlCompRequirementDate ?? null,
    })),
  };
}
