import { peakRate } from './arrivals';
import { fitMedianP99 } from './lognormal';
import type { Admission, Borrowing, Buyers, EdgeMemory, Failure, GroupCommit, Holds, Network, ReadModel, Scenario, ServiceProfile, SkuSpec } from './params';
import { serviceMean } from './serviceTime';

/** The hot SKU's stock and the shard counts and admission depths explored. */
const HOT_STOCK = 10_000;
export const LIMIT_PER_CUSTOMER = 2;
export const SHARD_COUNTS = [1, 8, 16, 32, 64] as const;
export const DEPTHS = [16, 64, 256, Number.POSITIVE_INFINITY] as const;
const CATALOGUE = { skus: 1000, zipfExponent: 1, stockPerSku: 100 } as const;
export const P99_TARGET_MS = 80;
/** Shard counts tried with group commit on, and its bound there (RESERVE_BATCH_MAX's value when on, ADR 0021). */
export const GROUP_COMMIT_SHARD_COUNTS = [1, 2, 4, 8, 16, 32, 64] as const;
export const GROUP_COMMIT_MAX = 64;

const network: Network = { rttMinMs: 1, rttMaxMs: 5 };
const admission: Admission = {
  rule: 'depth',
  depth: 64,
  maxWaitMs: 1000,
  parkedCount: true,
  parkedCap: Number.POSITIVE_INFINITY,
  retryAfterOverloadedMs: 1000,
  retryAfterUnavailableMs: 5000,
  retryBudget: 10,
};
/** The borrowing protocol as durable-objects/sku/borrowing.ts runs it (the tail study varies these). */
export const BORROWING: Borrowing = { settle: 'per-buyer', emptyFanout: false, hintGossip: false, siblingBatch: false };
const failure: Failure = { detectMs: 1000, siblingTimeoutMs: 250, suspectMs: 5000 };
const buyers: Buyers = {
  count: 120_000,
  arrival: { rampMs: 1000, decayMs: 2000, windowMs: 10_000 },
  qty2Share: 0.2,
  repeatShare: 0.05,
  completeShare: 0.8,
  checkout: fitMedianP99(40_000, 240_000),
  watchShare: 0.1,
  watchEveryMs: 30_000,
  watchJitterMs: 10_000,
  watchForMs: 600_000,
  clientTimeoutMs: 10_000,
};
const holds: Holds = { ttlMs: 300_000, alarmChunk: 100 };
const readModel: ReadModel = { flushEveryMs: 1000, propagationMaxMs: 60_000 };
const LOCATIONS = 4;
/** wrangler.toml's SOLD_OUT_EDGE_MS; isolates assumed (a location runs many; fewer is conservative here). */
const edge: EdgeMemory = { windowMs: 300, isolates: 16 };
/** Off (each reserve alone) unless a scenario says otherwise; the same isolates as the sold-out memory. */
const groupCommit: GroupCommit = { max: 1, where: 'worker', isolates: edge.isolates, releaseOnPark: false };
const OUTAGE = { atMs: 300, durationMs: 30_000, location: 0 } as const;

/** The stated assumptions (no measurement behind them), printed with the inputs. */
export const ASSUMPTIONS: readonly { input: string; value: string; source: string }[] = [
  { input: 'Worker → object RTT', value: `${network.rttMinMs}–${network.rttMaxMs} ms uniform`, source: 'assumed: Worker and shard objects in one region (same colo ~1 ms, neighbouring colos a few ms); the buyer ↔ edge leg is not part of the latency' },
  { input: 'object → object RTT', value: `${network.rttMinMs}–${network.rttMaxMs} ms uniform`, source: `assumed: a SKU's shards spread over ${LOCATIONS} data centres of that region` },
  { input: 'buyers', value: `${buyers.count.toLocaleString('en-US')}`, source: 'headline: 120,000 concurrent checkouts' },
  {
    input: 'arrival curve',
    value: `linear ramp to a peak at ${buyers.arrival.rampMs / 1000} s, then e^(−t/${buyers.arrival.decayMs / 1000} s), all within ${buyers.arrival.windowMs / 1000} s (peak ≈ ${Math.round(peakRate(buyers.count, buyers.arrival)).toLocaleString('en-US')} arrivals/s)`,
    source: 'assumed: the countdown ends, everyone clicks in the first seconds',
  },
  { input: 'qty / limitPerCustomer', value: `qty 2 for ${buyers.qty2Share * 100}%, else 1; limit ${LIMIT_PER_CUSTOMER}; ${buyers.repeatShare * 100}% reserve again (qty 1) after a success`, source: 'brief; the repeat share is assumed (exercises customer_limit)' },
  { input: 'checkout', value: `${buyers.completeShare * 100}% complete (lognormal, median 40 s, p99 240 s), the rest abandon`, source: 'assumed' },
  { input: 'reservation TTL / alarm', value: `${holds.ttlMs / 1000} s; expiries released ${holds.alarmChunk} per alarm run`, source: 'docs/architecture.md, stale-reads-safe (default TTL 300 s); commit 127bcbe (chunks of 100)' },
  { input: 'watchers', value: `${buyers.watchShare * 100}% of refused buyers poll the view every ${buyers.watchEveryMs / 1000} ± ${buyers.watchJitterMs / 1000} s for ${buyers.watchForMs / 60_000} min`, source: 'assumed (brings buyers back when expired holds return units)' },
  { input: 'admission control', value: `queue depth D = ${admission.depth} per object (explored ${DEPTHS.map((d) => (Number.isFinite(d) ? d : '∞')).join(', ')}); beyond it 503 at once`, source: 'docs/architecture.md, overload-is-an-answer' },
  { input: 'Retry-After', value: `${admission.retryAfterOverloadedMs / 1000} s overloaded, ${admission.retryAfterUnavailableMs / 1000} s unreachable location, spread per request over [s, 2s]; the client waits it + 0–50 %, at most 30 s; ${admission.retryBudget} retries, same Idempotency-Key`, source: 'src/api/overload.ts, src/client (retryDelayMs)' },
  { input: 'client timeout', value: `${buyers.clientTimeoutMs / 1000} s`, source: 'assumed: a request unanswered this long is an unexplained failure' },
  { input: 'failure detection', value: `the Worker's call into a failed location fails after ${failure.detectMs / 1000} s, a shard's call to a sibling after ${failure.siblingTimeoutMs} ms; a shard skips a failed sibling for ${failure.suspectMs / 1000} s`, source: 'assumed' },
  {
    input: 'regional outage',
    value: `location ${OUTAGE.location} of ${LOCATIONS} (${100 / LOCATIONS}% of shards) down at t = ${OUTAGE.atMs / 1000} s (mid-sell-out) for ${OUTAGE.durationMs / 1000} s`,
    source: 'assumed failover time: Cloudflare restarts an object elsewhere but documents no time; 30 s is the brief\'s example',
  },
  { input: 'sold out at the edge', value: `a reserve is refused by the Worker while every shard refused one sent within ${edge.windowMs} ms, per isolate (${edge.isolates} isolates, requests spread at random; the Cache API's sharing not modelled); retries always reach the object`, source: 'ADR 0020 (SOLD_OUT_EDGE_MS); the isolate count is assumed' },
  {
    input: 'group commit',
    value: `off unless a table says B. Table (d), in the object: each request its own call; a free object waits one turn, then decides the reserves and completes at the front of its queue, at most B = ${GROUP_COMMIT_MAX}, as one command; each counts as one command for D. Tables (e) and the tail study: the retired Worker lanes (per isolate and object one reserve call in flight, ${groupCommit.isolates} isolates)`,
    source: 'ADR 0021 (durable-objects/sku/commandQueue.ts; the lanes were src/api/coalescer.ts); the isolate count is assumed, as for the sold-out memory',
  },
  {
    input: 'borrowing walk fan-out',
    value: 'one sibling asked at a time (fan-out 1) unless a table says k: then up to k transfer requests out at once, each donor giving the remaining deficit or half of what it holds',
    source: 'issue 24 (hypothesis: walks end in about one round trip); durable-objects/sku/borrowing.ts asks one at a time',
  },
  { input: 'catalogue', value: `${CATALOGUE.skus.toLocaleString('en-US')} SKUs, Zipf s = ${CATALOGUE.zipfExponent}, ${CATALOGUE.stockPerSku} units each`, source: 'assumed (brief\'s example)' },
];

/** Builds a scenario from the defaults above. */
export function scenario(name: string, profile: ServiceProfile, skus: SkuSpec[], seed: number, overrides: Partial<Scenario> = {}): Scenario {
  return { name, seed, profile, skus, buyers, admission, network, failure, holds, readModel, locations: LOCATIONS, outage: null, edge, groupCommit, walkFanout: 1, borrowing: BORROWING, regions: null, failover: null, ...overrides };
}

const hotSpec = (shards: number): SkuSpec => ({ stock: HOT_STOCK, shards, weight: 1, limitPerCustomer: LIMIT_PER_CUSTOMER });

/** (a) One hot SKU, 120,000 buyers; `batchMax` > 1 turns group commit on; `walkFanout` > 1 borrows from several siblings at once. */
export function hotSku(profile: ServiceProfile, shards: number, depth = admission.depth, seed = 1, batchMax = 1, walkFanout = 1): Scenario {
  const name = `hot SKU${batchMax > 1 ? `, B = ${batchMax}` : ''}${walkFanout > 1 ? `, fan-out ${Number.isFinite(walkFanout) ? walkFanout : 'all'}` : ''}`;
  return scenario(name, profile, [hotSpec(shards)], seed, { admission: { ...admission, depth }, groupCommit: { ...groupCommit, max: batchMax }, walkFanout });
}

/** (c) The hot SKU losing one location's shards mid-sell-out until they restart elsewhere. */
export function outage(profile: ServiceProfile, shards: number, seed = 1): Scenario {
  return scenario('regional outage', profile, [hotSpec(shards)], seed, { outage: OUTAGE });
}

export type CataloguePolicy = 'one shard each' | 'eight shards each' | 'shards by demand';

/**
 * (b) A catalogue with Zipf popularity. "shards by demand": each SKU gets the fewest of the
 * explored shard counts that keeps its expected peak load at or under half of the objects' capacity
 * (what an operator would set with `shards` when stocking the SKU).
 */
export function catalogue(profile: ServiceProfile, policy: CataloguePolicy, seed = 1): Scenario {
  const weights = Array.from({ length: CATALOGUE.skus }, (_, k) => 1 / (k + 1) ** CATALOGUE.zipfExponent);
  const total = weights.reduce((a, b) => a + b, 0);
  const capacity = 1000 / serviceMean(profile.command);
  const peak = peakRate(buyers.count, buyers.arrival);
  const shardsFor = (weight: number) => {
    if (policy === 'one shard each') return 1;
    if (policy === 'eight shards each') return 8;
    const load = (peak * weight) / total;
    return SHARD_COUNTS.find((n) => load / n <= capacity / 2) ?? SHARD_COUNTS.at(-1)!;
  };
  const skus = weights.map((weight) => ({ stock: CATALOGUE.stockPerSku, shards: shardsFor(weight), weight, limitPerCustomer: LIMIT_PER_CUSTOMER }));
  return scenario(`catalogue, ${policy}`, profile, skus, seed);
}

/**
 * This machine's benchmark as a scenario: one object at this machine's measured cost, the
 * measured loopback as the network, no admission limit, stock that never runs out.
 */
export function benchmarkReplay(machine: ServiceProfile, loopbackRttMs: number, shards = 1, seed = 1): Scenario {
  return scenario('benchmark replay', machine, [{ stock: 1_000_000_000, shards, weight: 1, limitPerCustomer: Number.POSITIVE_INFINITY }], seed, {
    network: { rttMinMs: loopbackRttMs, rttMaxMs: loopbackRttMs },
    admission: { ...admission, depth: Number.POSITIVE_INFINITY },
  });
}

/** Saturating closed loop at a documented rate and the region's RTT, for throughput scaling. */
export function saturation(profile: ServiceProfile, shards: number, seed = 1, batchMax = 1): Scenario {
  return scenario('saturation', profile, [{ stock: 1_000_000_000, shards, weight: 1, limitPerCustomer: Number.POSITIVE_INFINITY }], seed, {
    admission: { ...admission, depth: Number.POSITIVE_INFINITY },
    groupCommit: { ...groupCommit, max: batchMax },
  });
}
