import { z } from 'zod';
import { CustomerIdSchema, MAX_QTY, QtySchema, RegionSchema, SkuIdSchema } from '../sku';

export const MAX_CART_LINES = 50;

/** `region`: the buyer's region for this line's reserve (its units come from a location there when one has them all). */
export const CartLineSchema = z.strictObject({ sku: SkuIdSchema, qty: QtySchema, region: RegionSchema.optional() });
export type CartLine = z.infer<typeof CartLineSchema>;

/**
 * A cart as reserved: one line per SKU (lines of the same SKU merged), in SKU order. A fixed
 * order means two checkouts over the same SKUs reserve them in the same sequence. Lines of one
 * SKU naming different regions cannot be merged into one reserve: refused.
 */
export const CartSchema = z
  .array(CartLineSchema)
  .min(1, 'a checkout needs at least one line')
  .max(MAX_CART_LINES, `at most ${MAX_CART_LINES} lines`)
  .refine(oneRegionPerSku, 'lines of one SKU must name the same region (or none)')
  .transform(mergeLines)
  .pipe(z.array(z.object({ sku: SkuIdSchema, qty: z.int().max(MAX_QTY, `at most ${MAX_QTY} units of one SKU`), region: RegionSchema.optional() })));

export const CheckoutRequestSchema = z.strictObject({ customerId: CustomerIdSchema, lines: CartSchema });

function mergeLines(lines: CartLine[]): CartLine[] {
  const merged = new Map<string, CartLine>();
  for (const line of lines) {
    const before = merged.get(line.sku);
    merged.set(line.sku, before ? { ...before, qty: before.qty + line.qty } : line);
  }
  return [...merged.values()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

function oneRegionPerSku(lines: CartLine[]): boolean {
  const regions = new Map<string, string | undefined>();
  return lines.every((l) => (regions.has(l.sku) ? regions.get(l.sku) === l.region : (regions.set(l.sku, l.region), true)));
}

/** Each line's region: its own, else the checkout's (absent both: sourced by priority and availability). */
export const withRegion = (lines: readonly CartLine[], region: string | undefined): CartLine[] =>
  lines.map((l) => (l.region !== undefined || region === undefined ? l : { ...l, region }));
