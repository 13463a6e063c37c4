import { jitteredRetryAfter } from '../src/api/overload';
import { retryDelayMs } from '../src/client';
import { arrivalTime } from './arrivals';
import type { Outcome } from './attempts';
import { EdgeFailover } from './edgeFailover';
import { EdgeMemories } from './edgeMemory';
import { Isolates } from './groupCommit';
import { sampleOf } from './lognormal';
import type { Answer, Request, Reservation } from './protocol';
import type { Shard } from './shard';
import type { Sku } from './sku';
import type { World } from './world';

type Buyer = {
  readonly id: number;
  readonly sku: Sku;
  readonly qty: number;
  readonly arrivedAt: number;
  /** The region of the edge the buyer reaches (0 when regions are not modelled). */
  readonly region: number;
  keys: number;
  watching: boolean;
  repeated: boolean;
};

/** Idempotency keys per buyer: far more than a buyer ever uses. */
const KEYS_PER_BUYER = 1024;

/**
 * The open-loop flash-sale crowd: each buyer arrives once (the stated curve), reads the KV view,
 * reserves, retries 503s as the storefront client does (`retryDelayMs`) with the same Idempotency-Key, then
 * completes or abandons; refused buyers may keep polling the view and try again.
 */
export class FlashSale {
  private readonly cumulative: number[];
  private readonly edge: EdgeMemories | null;
  private readonly isolates: Isolates;
  private readonly failover: EdgeFailover | null;
  private readonly mix: number[];

  constructor(
    private readonly world: World,
    private readonly skus: readonly Sku[],
  ) {
    let sum = 0;
    this.cumulative = world.scenario.skus.map((s) => (sum += s.weight));
    this.edge = world.scenario.edge ? new EdgeMemories(world, world.scenario.edge) : null;
    this.isolates = new Isolates(world);
    const regions = world.scenario.regions;
    const isolates = world.scenario.edge?.isolates ?? 1;
    this.failover = world.scenario.failover ? new EdgeFailover(world, world.scenario.failover, isolates, regions?.names.length ?? 1) : null;
    let share = 0;
    this.mix = regions ? regions.mix.map((m) => (share += m)) : [];
  }

  /** Draws every buyer up front, then lets each arrival schedule the next: the event queue stays short. */
  start(): void {
    const { random, scenario } = this.world;
    const crowd: Buyer[] = [];
    for (let id = 0; id < scenario.buyers.count; id++) {
      const arrivedAt = arrivalTime(random, scenario.buyers.arrival);
      const sku = this.skus[this.pickSku()]!;
      const qty = random.chance(scenario.buyers.qty2Share) ? 2 : 1;
      const region = this.mix.length === 0 ? 0 : this.pickRegion(random.next());
      crowd.push({ id, sku, qty, arrivedAt, region, keys: 0, watching: false, repeated: false });
    }
    crowd.sort((a, b) => a.arrivedAt - b.arrivedAt);
    let next = 0;
    const arriveNext = () => {
      const buyer = crowd[next++]!;
      if (next < crowd.length) this.world.clock.at(crowd[next]!.arrivedAt, arriveNext);
      this.arrive(buyer);
    };
    if (crowd.length > 0) this.world.clock.at(crowd[0]!.arrivedAt, arriveNext);
  }

  private pickRegion(u: number): number {
    const i = this.mix.findIndex((c) => u * this.mix.at(-1)! < c);
    return i < 0 ? this.mix.length - 1 : i;
  }

  /** How a buyer's request reaches an object: through the edge's failover when modelled, else the isolates to the home shard. */
  private caller(buyer: Buyer): Caller {
    const failover = this.failover;
    if (failover) return (request, onAnswer, waitMs) => failover.call(buyer.region, buyer.sku, buyer.id, request, onAnswer, waitMs);
    const home = buyer.sku.route(buyer.id);
    return (request, onAnswer, waitMs) => this.isolates.call(home, request, (answer) => onAnswer(answer, home), waitMs);
  }

  private pickSku(): number {
    const target = this.world.random.next() * this.cumulative.at(-1)!;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.cumulative[mid]! > target) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  private arrive(buyer: Buyer): void {
    this.world.metrics.buyers++;
    if (this.visible(buyer.sku) < buyer.qty) {
      this.world.metrics.sawSoldOut++;
      return this.watch(buyer);
    }
    this.reserve(buyer, buyer.qty);
  }

  /** What the buyer's KV read shows: the view as of a propagation delay ago. */
  private visible(sku: Sku): number {
    const { propagationMaxMs } = this.world.scenario.readModel;
    return sku.view.read(this.world.now - this.world.random.uniform(0, propagationMaxMs));
  }

  private key(buyer: Buyer): number {
    return buyer.id * KEYS_PER_BUYER + buyer.keys++;
  }

  private reserve(buyer: Buyer, qty: number): void {
    const metrics = this.world.metrics;
    const request: Request = { kind: 'reserve', key: this.key(buyer), customer: buyer.id, qty };
    const isolate = this.edge?.isolate(buyer.region) ?? 0;
    if (this.edge?.soldOut(isolate, buyer.sku, this.world.now)) {
      // Answered by the Worker at once: no object call, no network leg in this model's frame.
      metrics.edgeRefusals++;
      metrics.insufficientStock++;
      metrics.answerLatencies.push(0);
      metrics.refusedLatencies.push(0);
      metrics.attempts.push({ kind: 'reserve', outcome: 'edge', startedMs: this.world.now, endedMs: this.world.now, definitive: true });
      metrics.trace.final(null, { outcome: 'edge', firstSentAt: this.world.now, latencyMs: 0, overloaded: 0, unavailable: 0 });
      return this.watch(buyer);
    }
    new Exchange(this.world, this.caller(buyer), request, (answer, firstSentAt, lastSentAt, failures, shard) => {
      metrics.answerLatencies.push(this.world.now - firstSentAt);
      const outcome = answer.code === 'reserved' ? 'accepted' : answer.code === 'insufficient_stock' ? 'refused' : 'limit';
      metrics.trace.final(request.key, { outcome, firstSentAt, latencyMs: this.world.now - firstSentAt, ...failures });
      if (answer.code === 'reserved') {
        metrics.accepted++;
        if (answer.replayed) metrics.replayed++;
        metrics.latencies.push(this.world.now - firstSentAt);
        this.edge?.granted(isolate, buyer.sku);
        this.reserved(buyer, answer.reservation);
      } else if (answer.code === 'insufficient_stock') {
        metrics.insufficientStock++;
        metrics.refusedLatencies.push(this.world.now - firstSentAt);
        // A shard refuses only once the whole SKU lacks the units (it borrows first): it is out as of that request.
        if (shard) this.edge?.refused(isolate, buyer.sku, shard, lastSentAt, qty);
        this.watch(buyer);
      } else if (answer.code === 'customer_limit') {
        metrics.customerLimit++;
        metrics.refusedLatencies.push(this.world.now - firstSentAt);
      }
    });
  }

  private reserved(buyer: Buyer, reservation: Reservation): void {
    const { random, scenario, clock } = this.world;
    if (!buyer.repeated && random.chance(scenario.buyers.repeatShare)) {
      buyer.repeated = true;
      this.reserve(buyer, 1);
    }
    if (!random.chance(scenario.buyers.completeShare)) return;
    clock.after(sampleOf(scenario.buyers.checkout, random), () => {
      const request: Request = { kind: 'complete', key: this.key(buyer), reservation };
      this.send(buyer, request, (answer) => {
        if (answer.code === 'completed') this.world.metrics.completed++;
        else this.world.metrics.completedAfterExpiry++;
      });
    });
  }

  /** A refused buyer polls the view (maybe) until its watch ends, and tries again when units show. */
  private watch(buyer: Buyer): void {
    const { random, scenario, clock } = this.world;
    const b = scenario.buyers;
    if (!buyer.watching) {
      if (!random.chance(b.watchShare)) return;
      buyer.watching = true;
      this.world.metrics.watchers++;
    }
    const at = clock.now + b.watchEveryMs + random.uniform(-b.watchJitterMs, b.watchJitterMs);
    if (at > buyer.arrivedAt + b.watchForMs) return;
    clock.at(at, () => {
      if (this.visible(buyer.sku) >= buyer.qty) this.reserve(buyer, buyer.qty);
      else this.watch(buyer);
    });
  }

  private send(buyer: Buyer, request: Request, onFinal: OnFinal): void {
    new Exchange(this.world, this.caller(buyer), request, onFinal);
  }
}

/** Sends a request `waitMs` from now; the answer comes with the shard that gave it (null: the edge). */
type Caller = (request: Request, onAnswer: (answer: Answer, by: Shard | null) => void, waitMs: number) => void;

/** The final answer to a request, when it was first and last sent, the 503s before it, and the shard that answered. */
type OnFinal = (answer: Answer, firstSentAt: number, lastSentAt: number, failures: { readonly overloaded: number; readonly unavailable: number }, by: Shard | null) => void;

const OUTCOMES: Record<string, Outcome> = { reserved: 'accepted', insufficient_stock: 'refused', customer_limit: 'limit', completed: 'completed', reservation_expired: 'expired' };

/**
 * One request with its retries: 503s are retried after Retry-After plus jitter (`retryDelayMs`) with the same
 * Idempotency-Key, up to the budget. An answer later than the client's timeout is one the buyer
 * never saw: an unexplained failure.
 */
class Exchange {
  private readonly firstSentAt: number;
  private retries = 0;
  private readonly failures = { overloaded: 0, unavailable: 0 };

  constructor(
    private readonly world: World,
    private readonly caller: Caller,
    private readonly request: Request,
    private readonly onFinal: OnFinal,
  ) {
    this.firstSentAt = world.now;
    this.send(0);
  }

  private send(waitMs: number): void {
    const metrics = this.world.metrics;
    if (this.request.kind === 'reserve') metrics.reserveRequests++;
    else metrics.completeRequests++;
    const sentAt = this.world.now + waitMs;
    this.caller(this.request, (answer, by) => this.answered(answer, sentAt, by), waitMs);
  }

  /** The attempt as the buyer lived it, for honest availability. */
  private attempt(outcome: Outcome, endedMs: number): void {
    this.world.metrics.attempts.push({ kind: this.request.kind, outcome, startedMs: this.firstSentAt, endedMs, definitive: outcome !== 'unanswered' });
  }

  private answered(answer: Answer, sentAt: number, by: Shard | null): void {
    const { metrics, scenario, random } = this.world;
    if (this.world.now - sentAt > scenario.buyers.clientTimeoutMs) {
      metrics.timedOut++;
      this.attempt('unanswered', sentAt + scenario.buyers.clientTimeoutMs);
      return;
    }
    if (answer.code !== 'overloaded' && answer.code !== 'unavailable') {
      this.attempt(OUTCOMES[answer.code]!, this.world.now);
      return this.onFinal(answer, this.firstSentAt, sentAt, this.failures, by);
    }
    metrics[answer.code]++;
    this.failures[answer.code]++;
    const { admission } = scenario;
    if (this.retries++ >= admission.retryBudget) {
      metrics.gaveUp++;
      this.attempt('unanswered', this.world.now);
      return;
    }
    // As the Worker and the storefront client do: the Retry-After spread per request, then the
    // client's own jitter and bounds on it.
    const decidedMs = answer.code === 'overloaded' ? admission.retryAfterOverloadedMs : admission.retryAfterUnavailableMs;
    const draw = () => random.next();
    this.send(retryDelayMs(this.retries, jitteredRetryAfter(decidedMs / 1000, draw), draw));
  }
}
