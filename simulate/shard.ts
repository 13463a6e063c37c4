import * as borrow from './borrow';
import { siblingBatch, sojournCheck } from './commandRules';
import { Fifo } from './fifo';
import { nextFromLane, TURN, waitsTurn } from './objectGroup';
import * as gate from './gate';
import { OVERLOADED, UNAVAILABLE, type Answer, type Command, type CompleteRequest, type Reply, type Request, type ReserveRequest, type Reservation } from './protocol';
import type { InHand, Parked, Round, ShardState, SkuLedger, Walk } from './shardState';
import type { World } from './world';

/**
 * One shard of a SKU: a Durable Object, a single-threaded server that runs one command at a time.
 * Durable state (units, reservations, idempotency records, customers' units, who to tell when
 * units come back) survives a failure; memory (queues, the borrowing walk, the sold-out latch)
 * does not.
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
  private readonly suspects = new Map<ShardState, number>();
  private alarmArmed = false;
  private flushArmed = false;
  private readonly lane = new Fifo<Command>();
  private readonly urgent = new Fifo<Command>();
  private current: Command | null = null;
  /** Queued and current commands' weight beyond one each (group-commit batches). */
  private extraWeight = 0;

  constructor(
    readonly world: World,
    readonly sku: SkuLedger,
    readonly index: number,
    readonly location: number,
    stock: number,
  ) {
    this.sellable = stock;
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
    return this.lane.length + this.urgent.length + (this.current && this.current !== TURN ? 1 : 0) + this.extraWeight + parked;
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
    this.extraWeight += (command.weight ?? 1) - 1;
    this.lane.push(command);
    this.kick();
  }

  /** Sibling traffic (transfers, undrains): ahead of buyers, bounded by the number of siblings. */
  enqueueUrgent(command: Command): void {
    this.urgent.push(command);
    this.kick();
  }

  /** `turned`: the idle object's one turn (objectGroup.ts) has passed, its next command starts now. */
  private kick(turned = false): void {
    if (!this.alive || this.current) return;
    if (!turned && waitsTurn(this.world, this.urgent, this.lane)) return this.waitTurn();
    const command = siblingBatch(this.world, this.urgent) ?? this.urgent.shift() ?? nextFromLane(this.world, this.lane, (delta) => (this.extraWeight += delta));
    if (!command) return;
    this.current = command;
    const incarnation = this.incarnation;
    const ms = command.start();
    this.world.metrics.commands++;
    this.world.clock.after(ms, () => {
      if (incarnation !== this.incarnation) return;
      command.run();
      this.current = null;
      this.extraWeight -= (command.weight ?? 1) - 1;
      this.kick();
    });
  }

  /** Grouping in the object: calls delivered at this instant join the group first (commandQueue.ts's one turn). */
  private waitTurn(): void {
    this.current = TURN;
    const incarnation = this.incarnation;
    this.world.clock.after(0, () => {
      if (incarnation !== this.incarnation) return;
      this.current = null;
      this.kick(true);
    });
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
    this.armAlarm();
    this.changed();
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
    if (this.pending === 0 && !this.world.scenario.failover && this.onlyUnreachableLeft()) return reply(UNAVAILABLE);
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
          this.changed();
        }
        reply(this.store(request.key, { code: r.state === 'completed' ? 'completed' : 'reservation_expired' }));
      },
      lost: () => reply(UNAVAILABLE),
    };
  }

  /** The TTL alarm, armed for the oldest held reservation (holds expire in creation order: one TTL). */
  private armAlarm(): void {
    if (this.alarmArmed || !this.alive) return;
    while (this.holds.peek() && this.holds.peek()!.state !== 'held') this.holds.shift();
    const head = this.holds.peek();
    if (!head) return;
    this.alarmArmed = true;
    const incarnation = this.incarnation;
    this.world.clock.at(head.expiresAt, () => {
      if (incarnation === this.incarnation) this.enqueue(this.alarmRun());
    });
  }

  /** One alarm run: releases at most `alarmChunk` due holds, then re-arms (behind queued buyers). */
  private alarmRun(): Command {
    let due: Reservation[] = [];
    return {
      start: () => {
        due = this.dueHolds();
        return due.length > 0 ? due.length * this.world.scenario.profile.expiryMs : this.world.serviceMs();
      },
      run: () => {
        let units = 0;
        for (const r of due) {
          r.state = 'released';
          units += r.qty;
          this.customers.set(r.customer, this.customers.get(r.customer)! - r.qty);
          this.sku.releasedUnits(r.qty);
        }
        this.world.metrics.expiredHolds += due.length;
        this.alarmArmed = false;
        if (units > 0) {
          gate.gain(this, units);
          this.changed();
        }
        this.armAlarm();
      },
      lost: () => {},
    };
  }

  private dueHolds(): Reservation[] {
    const due: Reservation[] = [];
    const { alarmChunk } = this.world.scenario.holds;
    for (let i = 0; due.length < alarmChunk && i < this.holds.length; i++) {
      const r = this.holds.at(i)!;
      if (r.state !== 'held') continue;
      if (r.expiresAt > this.world.now) break;
      due.push(r);
    }
    return due;
  }

  /** Counters changed: the projection flush writes this shard's view key at the next whole second. */
  private changed(): void {
    if (this.flushArmed || !this.alive) return;
    this.flushArmed = true;
    const every = this.world.scenario.readModel.flushEveryMs;
    const incarnation = this.incarnation;
    this.world.clock.at((Math.floor(this.world.now / every) + 1) * every, () => {
      if (incarnation !== this.incarnation) return;
      this.enqueue({
        start: () => this.world.serviceMs(),
        run: () => {
          this.flushArmed = false;
          this.sku.view.write(this.world.now, this.sku.available);
        },
        lost: () => {},
      });
    });
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

  /** Some siblings may hold units, and every one of them failed a call recently. */
  private onlyUnreachableLeft(): boolean {
    if (this.unconfirmed.size === 0) return false;
    for (const sibling of this.unconfirmed) if (!this.isSuspect(sibling)) return false;
    return true;
  }

  isSuspect(sibling: ShardState): boolean {
    const until = this.suspects.get(sibling);
    if (until === undefined) return false;
    if (until > this.world.now) return true;
    // Failover: a background probe (not charged to buyers) keeps a dead sibling's breaker open.
    const failover = this.world.scenario.failover;
    if (!failover || sibling.alive) return false;
    this.suspects.set(sibling, this.world.now + failover.probeEveryMs);
    return true;
  }

  trust(sibling: ShardState): void {
    this.suspects.delete(sibling);
  }

  suspect(sibling: ShardState): void {
    this.suspects.set(sibling, this.world.now + this.world.scenario.failure.suspectMs);
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
    const lost = [...(this.current ? [this.current] : []), ...this.urgent.drain(), ...this.lane.drain()];
    this.current = null;
    this.extraWeight = 0;
    for (const command of lost) command.lost();
    for (const p of this.parked) p.reply(UNAVAILABLE);
    this.parked = [];
    if (this.walk) borrow.abandonWalk(this.walk);
    this.walk = null;
    this.round = null;
    this.unconfirmed = new Set(this.siblings);
    this.heard.clear();
    this.alarmArmed = false;
    this.flushArmed = false;
    this.suspects.clear();
  }

  /** Restarted elsewhere from durable state; what it knew of its siblings was memory, so it asks again. */
  restart(): void {
    this.alive = true;
    this.armAlarm();
    if (this.world.scenario.failover) gate.announceReturn(this);
    else gate.resumeGate(this);
  }
}
