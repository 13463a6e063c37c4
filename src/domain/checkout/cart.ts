import { z } from 'zod';
import { CustomerIdSchema, MAX_QTY, QtySchema, SkuIdSchema } from '../sku';

export const MAX_CART_LINES = 50;

export const CartLineSchema = z.strictObject({ sku: SkuIdSchema, qty: QtySchema });
export type CartLine = z.infer<typeof CartLineSchema>;

/**
 * A cart as reserved: one line per SKU (lines of the same SKU merged), in SKU order. A fixed
 * order means two checkouts over the same SKUs reserve them in the same sequence.
 */
export const CartSchema = z
  .array(CartLineSchema)
  .min(1, 'a checkout needs at least one line')
  .max(MAX_CART_LINES, `at most ${MAX_CART_LINES} lines`)
  .transform(mergeLines)
  .pipe(z.array(z.object({ sku: SkuIdSchema, qty: z.int().max(MAX_QTY, `at most ${MAX_QTY} units of one SKU`) })));

export const CheckoutRequestSchema = z.strictObject({ customerId: CustomerIdSchema, lines: CartSchema });

function mergeLines(lines: CartLine[]): CartLine[] {
  const merged = new Map<string, number>();
  for (const { sku, qty } of lines) merged.set(sku, (merged.get(sku) ?? 0) + qty);
  return [...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sku, qty]) => ({ sku, qty }));
}
