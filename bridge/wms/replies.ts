import { z } from 'zod';
import { MovementSchema, StockLevelSchema, type Movement } from './movements';
import { WmsRecordSchema, type WmsRecord } from './records';

/**
 * The SOAP replies as the client checks them, and the simulator's mapping of records onto them.
 * Elements are written in the order of the WSDL's xsd:sequence, and null means "element absent".
 */

export const AllocateReplySchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('allocated'), allocationId: z.string().min(1) }),
  z.object({ status: z.literal('rejected'), reason: z.string().min(1) }),
  z.object({ status: z.literal('cancelled') }),
]);
export type AllocateResult = z.output<typeof AllocateReplySchema>;

export const CancelReplySchema = z.object({ status: z.literal('cancelled') });

/** xsd:boolean: `soap` makes it a boolean, but only for elements it found in the WSDL. */
const XsdBoolean = z.union([z.boolean(), z.stringbool({ truthy: ['true', '1'], falsy: ['false', '0'] })]);

export const GetReplySchema = z
  .object({ found: XsdBoolean, allocation: WmsRecordSchema.optional() })
  .refine((r) => r.found === (r.allocation !== undefined), 'found must be true exactly when an allocation is given')
  .transform((r): WmsRecord | null => r.allocation ?? null);


export function allocateReply(record: WmsRecord): AllocateResult {
  if (record.status === 'allocated') return { status: 'allocated', allocationId: record.allocationId! };
  if (record.status === 'rejected') return { status: 'rejected', reason: record.reason! };
  return { status: 'cancelled' };
}

export const allocationElement = ({ reservationId, sku, qty, status, allocationId, reason, updatedAt }: WmsRecord) => ({
  reservationId,
  sku,
  qty,
  status,
  ...(allocationId === null ? {} : { allocationId }),
  ...(reason === null ? {} : { reason }),
  updatedAt,
});

/** An empty list arrives as null, a list of one as an object rather than an array (no WSDL type to go by). */
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .union([z.array(item), item.transform((one) => [one])])
    .nullish()
    .transform((list): z.output<T>[] => list ?? []);

export const StockLevelsReplySchema = z
  .object({ level: listOf(StockLevelSchema) })
  .nullable()
  .transform((r) => r?.level ?? []);

/** An empty last page arrives as null; `next` null: the last page. */
export const AllocationsPageSchema = z
  .object({ allocation: listOf(WmsRecordSchema), next: z.string().min(1).nullish() })
  .nullable()
  .transform((r) => ({ allocation: r?.allocation ?? [], next: r?.next ?? null }));
export type AllocationsPage = z.output<typeof AllocationsPageSchema>;

export const MovementsReplySchema = z.object({ movement: listOf(MovementSchema), next: z.coerce.number().pipe(z.int().min(0)) });
export type MovementsPage = z.output<typeof MovementsReplySchema>;

export const movementElement = ({ reservationId, ...movement }: Movement) => {
  const { sequence, document, type, location, sku, qty, delta, at } = movement;
  return { sequence, document, type, location, sku, qty, delta, ...(reservationId === null ? {} : { reservationId }), at };
};
