import * as borrow from './borrow';
import { CommandLoop } from './commandLoop';
import { sojournCheck } from './commandRules';
import { Fifo } from './fifo';
import * as gate from './gate';
import { OVERLOADED, UNAVAILABLE, type Answer, type Command, type CompleteRequest, type Reply, type Request, type ReserveRequest, type Reservation } from './protocol';
import type { InHand, Parked, Round, ShardState, SkuLedger, Walk } from './shardState';
import { ShardTimers } from './shardTimers';
import { SiblingBreakers } from './siblingBreakers';
import type { World } from './world';

/**
 * One shard of a SKU: a Durable Object, a single-threaded server that runs one command at a time.
 * Durable state (units, reservations, idempotency records, customers' units, who to tell when
 * units come back) survives a failure; memory (queues, the borrowing walk, the sold-out latch)
 * does not. Its command loop (commandLoop.ts), its breakers on siblings (siblingBreakers.ts) and
 * its alarm and projection flush (shardTimers.ts) live apart.
 */
export class Shard implements ShardState {
  alive = true;
  incarnation = 0;
  // durable
  sellable: number;
  pending = 0;
  readonly holds = new Fifo<Reservation>();
  readonly customers = new Map<number, number>();
  readonly stored = new Map<number, Answer>();
  /**
   * Siblings that found this shard empty while borrowing, each with the number of its latest
   * subscription: told before released units become sellable, forgotten once they acknowledge.
   */
  readonly subscribers = new Map<ShardState, number>();
  private subscriptions = 0;
  /** Undrain rounds this shard has started: orders its undrains against its transfer answers. */
  announcements = 0;
  // memory
  siblings: readonly Shard[] = [];
  /**
   * Siblings not known to be empty. A sibling leaves the set when a transfer request finds it
   * empty (it then subscribes this shard) and comes back when it announces units (an undrain).
   */
  unconfirmed = new Set<ShardState>();
  /** The latest announcement heard from each sibling. */
  readonly heard = new Map<ShardState, number>();
  walk: Walk | null = null;
  parked: Parked[] = [];
  round: Round | null = null;
  /** What this shard believes each sibling holds, and as of when (hints.ts). */
  readonly hints = new Map<ShardState, number>();
  readonly hintsAsOf = new Map<ShardState, number>();
  private readonly breakers: SiblingBreakers;
  private readonly timers: ShardTimers;
  private readonly loop: CommandLoop;

  constructor(
    readonly world: World,
    readonly sku: SkuLedger,
    readonly index: number,
    readonly location: number,
    stock: number,
  ) {
    this.sellable = stock;
    this.breakers = new SiblingBreakers(world);
    this.timers = new ShardTimers(this);
    this.loop = new CommandLoop(world, this);
  }

  meet(all: readonly Shard[]): void {
    this.siblings = all.filter((s) => s !== this);
    for (const s of this.siblings) {
      this.hints.set(s, s.sellable);
      this.hintsAsOf.set(s, 0);
    }
    this.unconfirmed = new Set(this.siblings);
  }

  /** The sold-out latch: every sibling is known to be empty, so a shortage here is the SKU's. */
  get latched(): boolean {
    return this.unconfirmed.size === 0;
  }

  /** May refuse: latched, or (failover) every sibling not known empty is held dead by this shard's breaker. */
  get refusable(): boolean {
    return this.latched || (this.world.scenario.failover !== null && [...this.unconfirmed].every((s) => this.isSuspect(s)));
  }

  /**
   * What admission control bounds: commands waiting or in service, and buyers parked until
   * borrowed units arrive (each costs a decision when they do).
   */
  get depth(): number {
    const parked = this.world.scenario.admission.parkedCount ? this.parked.length : 0;
    return this.loop.depth + parked;
  }

  /** Buyer requests the depth rule lets in now (the sojourn rule decides when each would start). */
  room(): number {
    const { rule, depth } = this.world.scenario.admission;
    return rule === 'sojourn' ? Number.POSITIVE_INFINITY : depth - this.depth;
  }

  /** The sojourn rule's check for a buyer's command (commandRules.ts). */
  sojourn(queuedAt: number, shed: () => void): (() => boolean) | undefined {
    return sojournCheck(this.world, queuedAt, () => {
      this.traceShed();
      shed();
    });
  }

  /** A buyer's request reaching the object: queued, or answered 503 at once when the queue is full. */
  receive(request: Request, reply: Reply): void {
    if (this.room() <= 0) {
      this.traceShed();
      reply(OVERLOADED);
      return;
    }
    this.enqueue(request.kind === 'reserve' ? this.reserveCommand(request, reply) : this.completeCommand(request, reply));
    this.world.metrics.maxDepth = Math.max(this.world.metrics.maxDepth, this.depth);
  }

  /** Work the object gives itself (alarms, projection flushes): queued with buyers, never shed. */
  enqueue(command: Command): void {
    this.loop.enqueue(command);
  }

  /** Sibling traffic (transfers, undrains): ahead of buyers, bounded by the number of siblings. */
  enqueueUrgent(command: Command): void {
    this.loop.enqueueUrgent(command);
  }

  /**
   * The reservation decision (the pure decider's rules): a replay returns the stored answer;
   * limitPerCustomer counts held and bought units; units in hand, then sellable units, are spent;
   * a refusal only when `mayRefuse` (the shard knows its siblings are empty) and not even
   * pending units would cover it. null: wait for borrowed or announced units.
   */
  decide(request: ReserveRequest, inHand: InHand, mayRefuse: boolean): Answer | null {
    const stored = this.stored.get(request.key);
    if (stored) return stored.code === 'reserved' ? { ...stored, replayed: true } : stored;
    const metrics = this.world.metrics;
    const units = this.customers.get(request.customer) ?? 0;
    if (units + request.qty > this.sku.limitPerCustomer) return this.store(request.key, { code: 'customer_limit' });
    if (inHand.units + this.sellable >= request.qty) {
      metrics.decided(this.world.now);
      return this.store(request.key, { code: 'reserved', reservation: this.grant(request, inHand), replayed: false });
    }
    if (mayRefuse && inHand.units + this.sellable + this.pending < request.qty) {
      metrics.decided(this.world.now);
      this.sku.refused(request.qty, inHand.units);
      return this.store(request.key, { code: 'insufficient_stock' });
    }
    return null;
  }

  private grant(request: ReserveRequest, inHand: InHand): Reservation {
    const fromHand = Math.min(inHand.units, request.qty);
    inHand.units -= fromHand;
    const fromShard = request.qty - fromHand;
    if (fromShard > this.sellable) throw new Error(`shard ${this.index} would go below zero`);
    this.sellable -= fromShard;
    this.sku.sellable -= fromShard;
    const reservation: Reservation = {
      id: this.world.id(),
      customer: request.customer,
      qty: request.qty,
      expiresAt: this.world.now + this.world.scenario.holds.ttlMs,
      state: 'held',
    };
    this.holds.push(reservation);
    this.customers.set(request.customer, (this.customers.get(request.customer) ?? 0) + request.qty);
    this.sku.reservedUnits(request.qty);
    this.sku.granted(request.customer);
    this.timers.armAlarm();
    this.timers.changed();
    return reservation;
  }

  private store(key: number, answer: Answer): Answer {
    this.stored.set(key, answer);
    return answer;
  }

  private reserveCommand(request: ReserveRequest, reply: Reply): Command {
    const queuedAt = this.world.now;
    const join = () => this.world.metrics.trace.queued(request.key, this.world.now - queuedAt);
    return {
      join,
      start: () => (join(), this.world.serviceMs()),
      run: () => this.settleReserve(request, reply),
      lost: () => reply(UNAVAILABLE),
      admit: this.sojourn(queuedAt, () => reply(OVERLOADED)),
    };
  }

  traceShed(): void {
    this.world.metrics.trace.shed({ at: this.world.now, walking: this.walk !== null, parked: this.parked.length, sellable: this.sellable });
  }

  /** A reserve decided now, or parked until borrowed units arrive. */
  settleReserve(request: ReserveRequest, reply: Reply): void {
    const answer = this.decide(request, { units: 0 }, this.refusable);
    if (answer) return reply(answer);
    // Units may only be in siblings known to be down: say so now (503, Retry-After) instead of waiting.
    if (this.pending === 0 && !this.world.scenario.failover && this.breakers.onlyUnreachableLeft(this.unconfirmed)) return reply(UNAVAILABLE);
    if (this.parked.length >= this.world.scenario.admission.parkedCap) {
      this.traceShed();
      return reply(OVERLOADED);
    }
    const parkedAt = this.world.now;
    this.parked.push({
      request,
      reply: (answer) => {
        this.world.metrics.trace.parked(request.key, this.world.now - parkedAt);
        reply(answer);
      },
    });
    borrow.ensureWalk(this);
  }

  private completeCommand(request: CompleteRequest, reply: Reply): Command {
    return {
      join: () => {},
      start: () => this.world.serviceMs(),
      run: () => {
        const stored = this.stored.get(request.key);
        if (stored) return reply(stored);
        const r = request.reservation;
        if (r.state === 'held') {
          r.state = 'completed';
          this.sku.completedUnits(r.qty);
          this.timers.changed();
        }
        reply(this.store(request.key, { code: r.state === 'completed' ? 'completed' : 'reservation_expired' }));
      },
      lost: () => reply(UNAVAILABLE),
    };
  }

  gain(units: number): void {
    gate.gain(this, units);
  }

  ensureWalk(): void {
    borrow.ensureWalk(this);
  }

  settleParked(inHand: InHand, siblingUnreachable: boolean): void {
    borrow.settleParked(this, inHand, siblingUnreachable);
  }

  subscribe(sibling: ShardState): void {
    this.subscribers.set(sibling, ++this.subscriptions);
  }

  isSuspect(sibling: ShardState): boolean {
    return this.breakers.isSuspect(sibling);
  }

  trust(sibling: ShardState): void {
    this.breakers.trust(sibling);
  }

  suspect(sibling: ShardState): void {
    this.breakers.suspect(sibling);
  }

  /** Held and bought units of this shard's customers. */
  heldAndSoldUnits(): number {
    let units = 0;
    for (const n of this.customers.values()) units += n;
    return units;
  }

  /** The object's location fails: memory is gone, queued and in-flight work is lost. */
  fail(): void {
    this.alive = false;
    this.incarnation++;
    for (const command of this.loop.drain()) command.lost();
    for (const p of this.parked) p.reply(UNAVAILABLE);
    this.parked = [];
    if (this.walk) borrow.abandonWalk(this.walk);
    this.walk = null;
    this.round = null;
    this.unconfirmed = new Set(this.siblings);
    this.heard.clear();
    this.timers.disarm();
    this.breakers.clear();
  }

  /** Restarted elsewhere from durable state; what it knew of its siblings was memory, so it asks again. */
  restart(): void {
    this.alive = true;
    this.timers.armAlarm();
    if (this.world.scenario.failover) gate.announceReturn(this);
    else gate.resumeGate(this);
  }
}
