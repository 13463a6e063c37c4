import { CLOUDFLARE, type Documented } from './documented';
import { thisSystemAt, type BatchCostResult, type HistoryResult, type HotSkuResult } from './inputs';
import { fitMedianP99, meanOf, withMean } from './lognormal';
import type { ServiceProfile } from './params';
import { lognormalService, serviceMean, serviceP99, type BatchCost } from './serviceTime';

export type BenchmarkPoint = { readonly connections: number; readonly rps: number; readonly p50: number; readonly p99: number };

export type Calibration = {
  /** Cloudflare's upper with-writes figure: what the headline is predicted at. */
  readonly headline: ServiceProfile;
  /** Every profile the hot SKU is run at: the headline, the documented bounds, this machine. */
  readonly profiles: readonly ServiceProfile[];
  readonly machine: ServiceProfile;
  /** Client and loopback time per request on this machine: the 1-connection round trip minus the service time. */
  readonly loopbackRttMs: number;
  /** The hot-SKU benchmark's own rows for this system, replayed by the calibration check. */
  readonly benchmark: readonly BenchmarkPoint[];
  /** workerd CPU per request in the 200,000-reservation history run: an independent estimate of the cost. */
  readonly historyCpuMsPerRequest: number;
  readonly noopCeilingRps: number;
  /** One object's cost per group-commit batch of n reserves on this machine, a + b·n (every profile keeps its shape). */
  readonly batch: BatchCost;
  readonly hotSkuDate: string;
  readonly historyDate: string;
  readonly batchCostDate: string;
};

const BENCHMARK_CONNECTIONS = [1, 10, 100];

/**
 * Derives the per-command service time from this repository's measurements.
 *
 * At one connection the benchmark has no queueing: its latency is one command's service time
 * plus the loopback. A lognormal through that row's p50 and p99 (1 ms, 5 ms: sigma 0.69) has a
 * mean of 1.27 ms, i.e. ~790 commands/s on one object — within the 740–800 req/s the same file
 * measured at 10 and 100 connections, where the object is saturated. The rest of the
 * 1-connection round trip (1/638.5 s − 1.27 ms ≈ 0.3 ms) is the client and loopback.
 *
 * Cloudflare's documented per-object rates are then modelled with the same tail shape (sigma)
 * and the mean each rate implies (500/s → 2 ms). The TTL alarm's cost per expired hold comes
 * from the expiry storm (bench/results/history.json: 47,002 holds at 3,207/s → 0.31 ms each,
 * 31 ms per run of 100), scaled like the commands.
 *
 * A group-commit batch (bench/results/batch-cost.json: one object's cost per reserveBatch call,
 * fitted a + b·n) is scaled the same way: one call of one reserve costs what a command costs at
 * that rate, and a call of n costs (a + b·n) / (a + b) times as much, the same sigma.
 */
export function calibrate(hot: HotSkuResult, history: HistoryResult, batchCost: BatchCostResult): Calibration {
  const one = thisSystemAt(hot, 1);
  const command = fitMedianP99(one.p50, one.p99);
  const meanMs = meanOf(command);
  const expiryMs = 1000 / history.storm.expiriesPerSecond;
  const batch: BatchCost = { aMs: batchCost.fit.aMs, bMs: batchCost.fit.bMs };
  if (!(batch.aMs + batch.bMs > 0) || batch.bMs < 0) throw new Error(`bench/results/batch-cost.json: a batch of one must cost something and more must not cost less (a ${batch.aMs}, b ${batch.bMs})`);
  const machine: ServiceProfile = {
    name: `this machine ${Math.round(1000 / meanMs)}/s`,
    command: lognormalService(command),
    batch,
    expiryMs,
    source: `bench/results/hot-sku.json (${hot.date}): lognormal through the 1-connection p50 ${one.p50} ms and p99 ${one.p99} ms`,
  };
  const documented = (name: string, figure: Documented): ServiceProfile => {
    const mean = 1000 / figure.value;
    return { name, command: lognormalService(withMean(command, mean)), batch, expiryMs: (expiryMs * mean) / meanMs, source: figure.source };
  };
  const headline = documented('cloudflare 500/s', CLOUDFLARE.objectWithWritesHigh);
  return {
    headline,
    profiles: [headline, documented('cloudflare 200/s', CLOUDFLARE.objectWithWritesLow), documented('cloudflare 1,000/s', CLOUDFLARE.objectSoftLimit), machine],
    machine,
    loopbackRttMs: Math.max(0, 1000 / one.rps - meanMs),
    benchmark: BENCHMARK_CONNECTIONS.map((c) => {
      const s = thisSystemAt(hot, c);
      return { connections: c, rps: s.rps, p50: s.p50, p99: s.p99 };
    }),
    historyCpuMsPerRequest: history.windows.reduce((sum, w) => sum + (w.workerdCpuMsPerReservation * w.reservesPerSecond) / w.requestsPerSecond, 0) / history.windows.length,
    noopCeilingRps: hot.ceiling['no-op Worker → object req/s'],
    batch,
    hotSkuDate: hot.date,
    historyDate: history.date,
    batchCostDate: batchCost.date,
  };
}

/** A profile's mean, p99 and implied capacity, for the inputs table. */
export function describeProfile(profile: ServiceProfile): { meanMs: number; p99Ms: number; capacityPerSecond: number } {
  const meanMs = serviceMean(profile.command);
  return { meanMs, p99Ms: serviceP99(profile.command), capacityPerSecond: 1000 / meanMs };
}
