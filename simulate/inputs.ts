import { z } from 'zod';

/**
 * The parts of this repository's own benchmark results the model is calibrated from. Parsed,
 * not trusted: a renamed field fails here, not as a silent NaN in a prediction.
 */
export const HotSkuResultSchema = z.object({
  date: z.string(),
  steps: z.array(z.object({ system: z.string(), connections: z.number().int().positive(), rps: z.number().positive(), p50: z.number(), p99: z.number() })),
  ceiling: z.object({ 'no-op Worker → object req/s': z.number().positive(), p50: z.number(), p99: z.number() }),
});
export type HotSkuResult = z.infer<typeof HotSkuResultSchema>;

export const HistoryResultSchema = z.object({
  date: z.string(),
  windows: z
    .array(z.object({ reservesPerSecond: z.number().positive(), requestsPerSecond: z.number().positive(), workerdCpuMsPerReservation: z.number().positive(), p50: z.number(), p99: z.number() }))
    .min(1),
  storm: z.object({ holds: z.number().int().positive(), expiriesPerSecond: z.number().positive() }),
});
export type HistoryResult = z.infer<typeof HistoryResultSchema>;

export const BatchCostResultSchema = z.object({
  date: z.string(),
  rows: z.array(z.object({ size: z.number().int().positive(), batchesPerSecond: z.number().positive(), reservationsPerSecond: z.number().positive(), msPerBatch: z.number().positive() })).min(2),
  fit: z.object({ aMs: z.number(), bMs: z.number() }),
});
export type BatchCostResult = z.infer<typeof BatchCostResultSchema>;

/** The system's own rows of the hot-SKU benchmark (the file also holds PostgreSQL and Redis). */
const THIS_SYSTEM = 'this system (edge)';

export function thisSystemAt(result: HotSkuResult, connections: number) {
  const step = result.steps.find((s) => s.system === THIS_SYSTEM && s.connections === connections);
  if (!step) throw new Error(`bench/results/hot-sku.json has no '${THIS_SYSTEM}' row at ${connections} connections`);
  return step;
}
