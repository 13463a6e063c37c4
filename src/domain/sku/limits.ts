import { z } from 'zod';

/**
 * Identifier and quantity rules shared by the edge and the domain. SKUs are case-sensitive:
 * `Sku-1` and `sku-1` are two objects, because a Durable Object name is an exact string.
 */
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_QTY = 10_000;
export const MAX_TTL_SECONDS = 3_600;
export const DEFAULT_TTL_SECONDS = 300;

export const SkuIdSchema = z.string().regex(SKU_PATTERN, 'sku must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$');
export const QtySchema = z.int().min(1).max(MAX_QTY);
export const CustomerIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'customerId must be 1-128 printable ASCII characters without spaces');
export const TtlSecondsSchema = z.int().min(1).max(MAX_TTL_SECONDS);
/** `res_` and 26 base32 characters, then on a sharded SKU `_k`, the shard that holds it (1..63: a layout has at most 64). */
export const ReservationIdSchema = z.string().regex(/^res_[0-9a-z]{26}(?:_(?:[1-9]|[1-5][0-9]|6[0-3]))?$/, 'not a reservation id (res_ and 26 base32 characters, then _1.._63 on a sharded SKU)');
