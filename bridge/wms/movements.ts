import { z } from 'zod';
import { SkuIdSchema } from '../../src/domain/sku/limits';
import { StockUnitsSchema } from './records';

/**
 * Stock at the warehouse's locations and the documents that move it. The simulator's state file,
 * its admin API and the SOAP replies all read these shapes, so they cannot drift apart.
 */

/** A site of the warehouse (`AMS-1`); a warehouse configured with none has one, `default`. */
export const LocationSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'location must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$');
export const DEFAULT_LOCATION = 'default';

/** A warehouse document number (`WMS-000123`): the idempotency key of a movement. */
export const DocumentNumberSchema = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'document must be 1-64 printable ASCII characters without spaces');
const ReservationRefSchema = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'reservationId must be 1-128 printable ASCII characters without spaces');
const MovedUnitsSchema = StockUnitsSchema.min(1);

export const MOVEMENT_TYPES = ['receipt', 'count', 'damage', 'shipment'] as const;
export type MovementType = (typeof MOVEMENT_TYPES)[number];

const placed = { document: DocumentNumberSchema, location: LocationSchema.optional(), sku: SkuIdSchema };
/**
 * A movement as posted. `count` is an absolute count (what a stocktake found), not a delta: posted
 * twice or late it still says the truth of its moment. A `shipment` names the allocation it
 * consumes; its location, SKU and quantity are the allocation's.
 */
export const MovementRequestSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('receipt'), ...placed, qty: MovedUnitsSchema }),
  z.strictObject({ type: z.literal('count'), ...placed, qty: StockUnitsSchema }),
  z.strictObject({ type: z.literal('damage'), ...placed, qty: MovedUnitsSchema }),
  z.strictObject({ type: z.literal('shipment'), document: DocumentNumberSchema, reservationId: ReservationRefSchema }),
]);
export type MovementRequest = z.output<typeof MovementRequestSchema>;

/** Lenient like WmsRecordSchema: it also reads SOAP replies, where numbers and dates may arrive as text. */
const Count = z.coerce.number().pipe(z.int().min(0));

/** A recorded movement; `delta` is its signed change of the physical stock, `sequence` its place in the log. */
export const MovementSchema = z.object({
  sequence: z.coerce.number().pipe(z.int().min(1)),
  document: z.string().min(1),
  type: z.enum(MOVEMENT_TYPES),
  location: z.string().min(1),
  sku: z.string().min(1),
  qty: Count,
  delta: z.coerce.number().pipe(z.int()),
  reservationId: z.string().min(1).nullish().transform((v) => v ?? null),
  at: z.coerce.date().transform((d) => d.toISOString()),
});
export type Movement = z.output<typeof MovementSchema>;

/**
 * Units of a SKU at a location: `physical` on the shelves, `allocated` promised to allocations
 * not yet shipped, `shipped` gone out on shipments. What an allocation may take is physical - allocated.
 */
export const StockLevelSchema = z.object({ location: z.string().min(1), sku: z.string().min(1), physical: Count, allocated: Count, shipped: Count });
export type StockLevel = z.output<typeof StockLevelSchema>;

/** What an allocation of a SKU nobody stocked finds: the default stock (as before locations), or nothing. */
export const UNSTOCKED = ['unlimited', 'empty'] as const;
export type Unstocked = (typeof UNSTOCKED)[number];
