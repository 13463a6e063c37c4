import { z } from 'zod';

/**
 * A version vector `{ "<stream>": version }` naming the events that caused an event.
 * Within one SKU the version is a total order; across streams only these clocks order events.
 */
export const VectorClockSchema = z.record(z.string().min(1).max(200), z.int().min(1));
export type VectorClock = z.infer<typeof VectorClockSchema>;

export const skuStream = (sku: string): string => `sku:${sku}`;

/** Pointwise maximum: the smallest clock that dominates both. */
export function mergeClocks(a: VectorClock, b: VectorClock): VectorClock {
  const merged: VectorClock = { ...a };
  for (const [stream, version] of Object.entries(b)) {
    merged[stream] = Math.max(merged[stream] ?? 0, version);
  }
  return merged;
}

export const checkoutStream = (checkoutId: string): string => `checkout:${checkoutId}`;

/** The SKU or checkout a stream name stands for, or null if it is another kind of stream. */
export const streamSku = (stream: string): string | null => (stream.startsWith('sku:') ? stream.slice(4) : null);
export const streamCheckout = (stream: string): string | null => (stream.startsWith('checkout:') ? stream.slice(9) : null);

/** How two clocks relate: one happened before the other, they are equal, or neither (concurrent). */
export type ClockOrder = 'before' | 'after' | 'equal' | 'concurrent';

export function compareClocks(a: VectorClock, b: VectorClock): ClockOrder {
  let aAhead = false;
  let bAhead = false;
  for (const stream of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const [x, y] = [a[stream] ?? 0, b[stream] ?? 0];
    if (x > y) aAhead = true;
    if (y > x) bAhead = true;
  }
  if (aAhead && bAhead) return 'concurrent';
  return aAhead ? 'after' : bAhead ? 'before' : 'equal';
}

/** `a` has seen everything `b` has (a ≥ b pointwise). */
export const dominates = (a: VectorClock, b: VectorClock): boolean => {
  const order = compareClocks(a, b);
  return order === 'after' || order === 'equal';
};

export const concurrent = (a: VectorClock, b: VectorClock): boolean => compareClocks(a, b) === 'concurrent';
