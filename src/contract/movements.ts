import { z } from 'zod';
import { LocationIdSchema, MovementKindSchema, WarehouseDocumentSchema, WarehouseIdSchema } from '../domain/sku';

/*
 * Warehouse-fed stock per location (docs/api.md, "Fed stock"; ADR 0013): the bridge's feed posts
 * each warehouse document, reconcile posts repairs; both answer what the location holds after it.
 */

/** One warehouse document for one SKU at one location, as the bridge's feed posts it (internal route). */
export const MovementCommandSchema = z
  .strictObject({
    warehouse: WarehouseIdSchema.meta({ description: 'the warehouse system from the bridge configuration, e.g. `soap-1`' }),
    document: WarehouseDocumentSchema.meta({ description: "the warehouse's document number" }),
    sequence: z.int().min(1).max(Number.MAX_SAFE_INTEGER)
      .meta({ description: "the document's position in its warehouse's movements: applied once; at or below the location's last, it was counted already" }),
    movement: MovementKindSchema,
    location: LocationIdSchema,
    delta: z.int().min(-1_000_000_000).max(1_000_000_000).meta({ description: 'the signed change of the location\'s physical units' }),
    at: z.iso.datetime({ offset: true }).meta({ description: 'when the warehouse recorded the document' }),
  })
  .meta({ id: 'MovementCommand' });
export type MovementCommand = z.infer<typeof MovementCommandSchema>;

/** A repair of a location's stock by reconcile, citing the warehouse document that justifies it. */
export const AdjustmentBodySchema = z
  .strictObject({
    location: LocationIdSchema,
    delta: z.int().min(-1_000_000_000).max(1_000_000_000).refine((d) => d !== 0, 'delta must not be 0'),
    reason: z.string().min(1).max(200),
    document: WarehouseDocumentSchema.optional(),
  })
  .meta({ id: 'AdjustmentRequest' });
export type AdjustmentBody = z.infer<typeof AdjustmentBodySchema>;

export const LocationCountersSchema = z.object({ location: z.string(), onHand: z.int(), reserved: z.int(), sold: z.int(), available: z.int() });

/** What a movement or an adjustment did: the location after it, and the shortfall it caused, if any. */
export const MovementResultSchema = z
  .object({
    sku: z.string(),
    version: z.int(),
    applied: z.boolean().meta({ description: 'false: the document was counted already (nothing changed)' }),
    location: LocationCountersSchema,
    shortfall: z
      .object({
        short: z.int().meta({ description: 'units the location fell below what it had reserved and sold' }),
        unresolved: z.int().meta({ description: 'sold units no location could take: an operator refunds them' }),
        resourced: z.array(z.object({ reservationId: z.string(), qty: z.int(), to: z.string() })),
        released: z.array(z.object({ reservationId: z.string(), qty: z.int() })),
      })
      .nullable(),
  })
  .meta({ id: 'MovementResult' });
export type MovementResult = z.infer<typeof MovementResultSchema>;
