import { z } from 'zod';

export const ALLOCATION_STATUSES = ['allocated', 'rejected', 'cancelled'] as const;
export type AllocationStatus = (typeof ALLOCATION_STATUSES)[number];

/** Units of a SKU in the warehouse. */
export const StockUnitsSchema = z.int().min(0).max(1_000_000_000);

/** Why an allocation was refused; kept on the record when it is cancelled later. */
export const OUT_OF_STOCK = 'out_of_stock';

/**
 * What the warehouse remembers of one reservation: the simulator's state file holds these and
 * GetAllocation/ListAllocations return them. A reservation cancelled before any AllocateStock is
 * a tombstone (`cancelled`, sku '' and qty 0) that makes a late AllocateStock answer `cancelled`.
 *
 * Lenient on purpose, because it reads SOAP replies: `soap` turns xsd:int and xsd:dateTime into
 * numbers and Dates, but only when it found the element in the WSDL; an absent optional element is
 * null here.
 */
export const WmsRecordSchema = z.object({
  reservationId: z.string().min(1),
  sku: z.string(),
  qty: z.coerce.number().pipe(z.int().min(0)),
  status: z.enum(ALLOCATION_STATUSES),
  allocationId: z.string().min(1).nullish().transform((v) => v ?? null),
  reason: z.string().min(1).nullish().transform((v) => v ?? null),
  updatedAt: z.coerce.date().transform((d) => d.toISOString()),
});
export type WmsRecord = z.output<typeof WmsRecordSchema>;
