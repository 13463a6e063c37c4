import type { FailoverPolicy } from './params';
import { UNAVAILABLE, type Answer, type Request } from './protocol';
import type { Shard } from './shard';
import { customerHash, type Sku } from './sku';
import type { World } from './world';

/**
 * The shards a customer's reserve is re-homed to, in order, when its home (hash mod N) cannot be
 * reached: every shard outside the home's region (shard k lives in region k mod R), starting at a
 * point fixed by a second mix of the hash, so a lost shard's customers spread over all the live
 * ones and each customer always lands on the same one (the limit overshoot stays one limit).
 */
export function rehomeOrder(hash: number, shards: number, regions: number, home = hash % shards): number[] {
  // The product's high bits: its low bits would repeat the home's (hash mod N) for every customer of a shard.
  const start = Math.floor(((Math.imul(hash ^ 0x9e3779b9, 0x85ebca6b) >>> 0) / 2 ** 32) * shards);
  const order: number[] = [];
  for (let j = 0; j < shards; j++) {
    const k = (start + j) % shards;
    if (k % regions !== home % regions) order.push(k);
  }
  return order;
}

/** The customer's home shard: hash mod N, or (homing 'edge-region') one of the shards in the edge's region by the same hash. */
export function homeOf(hash: number, shards: number, regions: number, edgeRegion: number, homing: FailoverPolicy['homing']): number {
  if (homing === 'customer' || shards < regions) return hash % shards;
  const local = Math.floor((shards - 1 - edgeRegion) / regions) + 1;
  return edgeRegion + regions * (hash % local);
}

/**
 * The edge's failover (issue 25), per Worker isolate: a breaker per shard. A call that cannot
 * connect within the bound opens the breaker and the request goes at once to the next shard of the
 * customer's re-home order whose breaker is closed; later requests skip an open breaker without
 * waiting. An open breaker is probed in the background every `probeEveryMs` (the probe is not a
 * buyer's request: modelled as knowing whether the shard is up, its own wait charged to no one).
 * Completes are never re-homed (the reservation lives at its shard): an open breaker answers 503.
 */
export class EdgeFailover {
  /** isolate (region-major) → shard → when its breaker is next probed. */
  private readonly breakers: Map<Shard, number>[];

  constructor(
    private readonly world: World,
    private readonly policy: FailoverPolicy,
    private readonly isolatesPerRegion: number,
    regions: number,
  ) {
    this.breakers = Array.from({ length: isolatesPerRegion * regions }, () => new Map());
  }

  /** Whether `isolate`'s breaker for `shard` is open now. */
  isOpen(isolate: number, shard: Shard): boolean {
    const breakers = this.breakers[isolate]!;
    const probeAt = breakers.get(shard);
    if (probeAt === undefined) return false;
    if (probeAt > this.world.now) return true;
    if (!shard.alive) {
      breakers.set(shard, this.world.now + this.policy.probeEveryMs);
      return true;
    }
    breakers.delete(shard);
    return false;
  }

  /**
   * A call to `shard` could not connect: its breaker opens, and the isolate probes the other shards
   * of its region at once (in the background), opening each breaker whose probe fails too.
   */
  trip(isolate: number, shard: Shard, sku: Sku): void {
    const breakers = this.breakers[isolate]!;
    if (!breakers.has(shard)) this.world.metrics.failover.trips++;
    breakers.set(shard, this.world.now + this.policy.probeEveryMs);
    for (const other of sku.shards) {
      if (other.location !== shard.location || breakers.has(other)) continue;
      this.world.clock.after(this.policy.connectBoundMs, () => {
        if (!other.alive && !breakers.has(other)) breakers.set(other, this.world.now + this.policy.probeEveryMs);
      });
    }
  }

  /** The first shard of [home, …re-home order] whose breaker is closed; null when none is (or, for a complete, the home's is open). */
  target(isolate: number, sku: Sku, customer: number, rehome: boolean): Shard | null {
    const home = this.home(isolate, sku, customer);
    if (!this.isOpen(isolate, home)) return home;
    if (!rehome) return null;
    for (const k of rehomeOrder(customerHash(customer), sku.shards.length, this.regions, home.index)) if (!this.isOpen(isolate, sku.shards[k]!)) return sku.shards[k]!;
    return null;
  }

  private get regions(): number {
    return this.world.scenario.regions?.names.length ?? this.world.scenario.locations;
  }

  /** The customer's home as seen from `isolate`'s region. */
  home(isolate: number, sku: Sku, customer: number): Shard {
    const region = Math.floor(isolate / this.isolatesPerRegion);
    return sku.shards[homeOf(customerHash(customer), sku.shards.length, this.regions, region, this.policy.homing)]!;
  }

  /** A buyer's request from an edge in `region`, `sendAfterMs` from now; `onAnswer` names the shard that answered (null: the edge). */
  call(region: number, sku: Sku, customer: number, request: Request, onAnswer: (answer: Answer, by: Shard | null) => void, sendAfterMs = 0): void {
    const { world } = this;
    const rehome = request.kind === 'reserve';
    world.clock.after(sendAfterMs, () => {
      const isolate = region * this.isolatesPerRegion + Math.floor(world.random.next() * this.isolatesPerRegion);
      const attempt = () => {
        const shard = this.target(isolate, sku, customer, rehome);
        if (!shard) return onAnswer(UNAVAILABLE, null);
        if (request.kind === 'reserve') {
          world.metrics.reserveCall(1);
          if (shard !== this.home(isolate, sku, customer)) world.metrics.failover.rehomed++;
        }
        const failed = (afterMs: number) =>
          world.clock.after(afterMs, () => {
            this.trip(isolate, shard, sku);
            attempt();
          });
        const leg = world.oneWayMs(region, shard.location);
        world.clock.after(leg, () => {
          if (!shard.alive) return failed(Math.max(0, this.policy.connectBoundMs - leg));
          const incarnation = shard.incarnation;
          shard.receive(request, (answer) => {
            world.clock.after(world.oneWayMs(shard.location, region), () => {
              if (shard.incarnation === incarnation) onAnswer(answer, shard);
              // Lost with the object mid-call: noticed after the Worker's detection time, then re-homed.
              else failed(world.scenario.failure.detectMs);
            });
          });
        });
      };
      attempt();
    });
  }
}
