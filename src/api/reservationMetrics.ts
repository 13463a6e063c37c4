import type { Env } from '../env';

/**
 * One Workers Analytics Engine data point per reserve answer: the SKU (also the sampling index,
 * so a hot SKU cannot drown the others out), the outcome (`reserved` or the refusal's code), and
 * the units asked, and who answered (`object`, or `edge` for a sold-out refusal from memory, ADR 0020). Queried with Analytics Engine's SQL API for reservations and refusals per
 * second by code and SKU. `writeDataPoint` does not wait and never throws; where the binding is
 * absent (a runtime started without it, such as the benchmarks' Miniflare) nothing is written.
 */
export function recordReserve(env: Pick<Env, 'RESERVATION_METRICS'>, sku: string, outcome: string, qty: number, answeredBy: 'object' | 'edge' = 'object'): void {
  (env.RESERVATION_METRICS as AnalyticsEngineDataset | undefined)?.writeDataPoint({ indexes: [sku], blobs: [sku, outcome, answeredBy], doubles: [1, qty] });
}
