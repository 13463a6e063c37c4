import { honest, type Honest } from './attempts';
import { FlashSale } from './buyers';
import { percentile } from './metrics';
import { batchSizes } from './objectGroup';
import { scheduleOutage } from './outage';
import type { Scenario } from './params';
import { Sku } from './sku';
import { World } from './world';

/** What one simulated sale produced: latencies in ms, times in seconds. */
export type SaleResult = {
  readonly scenario: string;
  readonly profile: string;
  readonly shards: string;
  /** Transfer requests a walk keeps out at once; null: all (unbounded). */
  readonly walkFanout: number | null;
  /** Admission queue depth; null when there is none. */
  readonly depth: number | null;
  readonly buyers: number;
  readonly reserveRequests: number;
  readonly completeRequests: number;
  readonly accepted: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly maxLatency: number | null;
  /** p50 and p99 from first send to the final 201 or 409, refusals included: every buyer's answer. */
  readonly answerP50: number | null;
  readonly answerP99: number | null;
  /** The same for the refused (409 stock or limit) alone. */
  readonly refusedP50: number | null;
  readonly refusedP99: number | null;
  /** Refused by the Worker from its sold-out memory, no object call (ADR 0020). */
  readonly edgeRefusals: number;
  /** When the SKU (the most popular one, in a catalogue) first had every unit reserved or sold. */
  readonly sellOutSeconds: number | null;
  readonly skusSoldOut: number;
  readonly insufficientStock: number;
  readonly customerLimit: number;
  readonly overloaded: number;
  readonly unavailable: number;
  readonly gaveUp: number;
  readonly timedOut: number;
  readonly replayed: number;
  readonly sawSoldOut: number;
  readonly watchers: number;
  readonly completed: number;
  readonly completedAfterExpiry: number;
  readonly expiredHolds: number;
  readonly walks: number;
  readonly visits: number;
  readonly transfers: number;
  readonly unitsMoved: number;
  /** Transfers answered after their walk had what it needed (fan-out walks), and their units. */
  readonly lateTransfers: number;
  readonly lateUnits: number;
  readonly undrains: number;
  readonly oversold: number;
  readonly stranded: number;
  readonly conserved: boolean;
  /**
   * Honest availability of the buyers' reservation attempts (src/contract/availability.ts): a
   * definitive answer (201, or a true refusal) within 2 s of the first request, retries included;
   * 503s, timeouts and giving up count against. `completes`: the same for checkouts' completes.
   */
  readonly availability: Honest;
  readonly completeAvailability: Honest;
  /** Units a customer held or bought beyond the limit at worst (failover re-homing), and customers over it. */
  readonly limitOvershoot: number;
  readonly overLimitCustomers: number;
  /** The edge's failover: breakers opened, reserve calls sent to a shard other than the customer's home. */
  readonly breakerTrips: number;
  readonly rehomed: number;
  /** Units neither reserved nor sold when the run ended (sellable or pending). */
  readonly unsold: number;
  /** Units the failed location's shards held when they came back (0 without an outage). */
  readonly returnedUnits: number;
  readonly peakDecisionsPerSecond: number;
  readonly maxDepth: number;
  /** Reserve calls from the Worker to objects, reserves per call on average and at most (group commit; 1 without it). */
  readonly reserveCalls: number;
  readonly meanBatch: number;
  readonly maxBatch: number;
  readonly commands: number;
  readonly events: number;
};

/** Runs one scenario to its end (every buyer done, every hold completed or expired); the SKUs as they end. */
export function runSale(scenario: Scenario): { world: World; skus: Sku[] } {
  const world = new World(scenario);
  const skus = scenario.skus.map((spec) => new Sku(world, spec));
  new FlashSale(world, skus).start();
  if (scenario.outage) scheduleOutage(world, skus, scenario.outage);
  world.clock.run();
  return { world, skus };
}

export function simulateSale(scenario: Scenario): SaleResult {
  const { world, skus } = runSale(scenario);
  return summarize(scenario, world, skus);
}

/** What a finished run produced (simulateSale's result, for callers that also read the run's trace). */
export function summarize(scenario: Scenario, world: World, skus: readonly Sku[]): SaleResult {
  const m = world.metrics;
  const hottest = skus[scenario.skus.reduce((best, s, i, all) => (s.weight > all[best]!.weight ? i : best), 0)]!;
  const shardCounts = [...new Set(scenario.skus.map((s) => s.shards))];
  return {
    scenario: scenario.name,
    profile: scenario.profile.name,
    shards: shardCounts.length === 1 ? String(shardCounts[0]) : `${Math.min(...shardCounts)}–${Math.max(...shardCounts)}`,
    walkFanout: Number.isFinite(scenario.walkFanout) ? scenario.walkFanout : null,
    depth: Number.isFinite(scenario.admission.depth) ? scenario.admission.depth : null,
    buyers: m.buyers,
    reserveRequests: m.reserveRequests,
    completeRequests: m.completeRequests,
    accepted: m.accepted,
    p50: percentile(m.latencies, 0.5),
    p99: percentile(m.latencies, 0.99),
    maxLatency: percentile(m.latencies, 1),
    answerP50: percentile(m.answerLatencies, 0.5),
    answerP99: percentile(m.answerLatencies, 0.99),
    refusedP50: percentile(m.refusedLatencies, 0.5),
    refusedP99: percentile(m.refusedLatencies, 0.99),
    edgeRefusals: m.edgeRefusals,
    sellOutSeconds: hottest.soldOutAt === null ? null : hottest.soldOutAt / 1000,
    skusSoldOut: skus.filter((s) => s.soldOutAt !== null).length,
    insufficientStock: m.insufficientStock,
    customerLimit: m.customerLimit,
    overloaded: m.overloaded,
    unavailable: m.unavailable,
    gaveUp: m.gaveUp,
    timedOut: m.timedOut,
    replayed: m.replayed,
    sawSoldOut: m.sawSoldOut,
    watchers: m.watchers,
    completed: m.completed,
    completedAfterExpiry: m.completedAfterExpiry,
    expiredHolds: m.expiredHolds,
    walks: m.walks,
    visits: m.visits,
    transfers: m.transfers,
    unitsMoved: m.unitsMoved,
    lateTransfers: m.lateTransfers,
    lateUnits: m.lateUnits,
    undrains: m.undrains,
    oversold: skus.reduce((sum, s) => sum + s.oversold, 0),
    stranded: skus.reduce((sum, s) => sum + s.stranded, 0),
    conserved: skus.every((s) => s.conserved()),
    availability: honest(m.attempts, 'reserve'),
    completeAvailability: honest(m.attempts, 'complete'),
    limitOvershoot: Math.max(0, ...skus.map((s) => s.limitOvershoot)),
    overLimitCustomers: skus.reduce((sum, s) => sum + s.overLimit.size, 0),
    breakerTrips: m.failover.trips,
    rehomed: m.failover.rehomed,
    unsold: skus.reduce((sum, s) => sum + s.sellable + s.pending, 0),
    returnedUnits: m.returnedUnits,
    peakDecisionsPerSecond: m.peakDecisionsPerSecond(),
    maxDepth: m.maxDepth,
    reserveCalls: m.reserveCalls,
    meanBatch: batchSizes(world).mean,
    maxBatch: batchSizes(world).max,
    commands: m.commands,
    events: world.clock.events,
  };
}
