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
