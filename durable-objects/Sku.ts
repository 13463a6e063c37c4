import { DurableObject } from 'cloudflare:workers';
import { err, ok } from '../src/domain/core/result';
import { movementCause, repairCause, skuCounters } from '../src/domain/sku';
import type { ReservationView, ShardRegion, ShardStock, SkuCommand, SkuCounters, SkuEvent, SkuState, StockCause } from '../src/domain/sku';
import type { Env } from '../src/env';
import { generationsForWriting } from './generations/registry';
import { loadState, readEvents, reservationWithHistory } from './sku/eventLog';
import { IDEMPOTENCY_RETENTION_MS, replay, saveRecord, type IdempotencyInput } from './sku/idempotency';
import type { Outcome } from '../src/contract/outcome';
import type { Overloaded, Ticket } from './sku/admission';
import { bringUnitsHome } from './sku/recall';
import { relaySettings } from './relay/push';
import { OutboxRelay } from './relay/outbox';
import { migrateSku } from './sku/schema';
import { acceptSignature } from './shared/seenSignatures';
import { earliest, nextAlarmAt } from './sku/alarmSchedule';
import { AlarmClock } from './sku/alarmClock';
import { ShardLoans, type Committed, type LoanHost, type LendRequest, type LoanAnswer, type LoanDelivery, type Undrain } from './sku/borrowing';
import { ProjectionWriter, type ProjectResult } from './sku/projectionWriter';
import { decideCommand, saveDecision, storedSku } from './sku/commandStore';
import { ReserveBatches, reserveCommand, settleCommand, type GroupHost } from './sku/groupCommit';
import { beforeCommit, type BeforeCommitHost } from './sku/beforeCommit';
import { reserveAfterWalking } from './sku/walkedReserve';
import { abandonReserve } from './sku/abandon';
import type { ExpiryHost } from './sku/expiries';
import { runAlarm, workDueAt } from './sku/alarmRun';
import { CommandQueue } from './sku/commandQueue';
import { workerConfig } from '../src/config';
import { OutcomeCounts } from './sku/outcomeCounts';
import { caused, countersOf, hoardingOf, movementResult, shardStockOf, viewOf, type Present } from './sku/presenters';
import { FaultSwitch, type FaultAnswer, type FaultMode } from './sku/faultSwitch';
import type * as R from './sku/requests';

export type * from './sku/requests';

/**
 * The single writer of one SKU (or shard): each command decided by the pure domain and committed in one
 * SQLite transaction; only a borrowing reserve or a recall (`sku/recall`) awaits siblings first. Grouping:
 * `sku/commandQueue`, `sku/groupCommit`; the alarm: `sku/alarmRun`; the story: docs/architecture.md.
 */
export class Sku extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  #state: SkuState;
  readonly #alarm: AlarmClock;
  readonly #relay: OutboxRelay;
  readonly #projection: ProjectionWriter;
  readonly #loans: ShardLoans;
  readonly #outcomes = new OutcomeCounts();
  readonly #batches: ReserveBatches;
  /** Reserves, completes and cancels grouped inside the object (ADR 0021); null when RESERVE_GROUP_MAX is 1. */
  readonly #queue: CommandQueue | null;
  readonly #host: ExpiryHost & BeforeCommitHost;
  readonly #fault = new FaultSwitch();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = (this.#sql = ctx.storage.sql);
    const transaction = (work: () => void) => ctx.storage.transactionSync(work);
    migrateSku(sql);
    this.#state = loadState(sql, storedSku(sql), transaction);
    const state = () => this.#state;
    this.#alarm = new AlarmClock(ctx.storage);
    this.#relay = new OutboxRelay(sql, relaySettings(env, ctx.id.toString()));
    this.#projection = new ProjectionWriter({ sql, kv: env.PROJECTIONS, generations: () => generationsForWriting(env), state });
    const commit: LoanHost['commit'] = (command, now, present, alsoWrite) => this.#commit(command, now, present, { alsoWrite });
    const moveAlarm = (at: number | null) => this.#alarm.moveEarlier(at);
    const setState = (next: SkuState) => void (this.#state = next);
    this.#loans = new ShardLoans({ sql, transaction, state, setState, commit, wakeAt: moveAlarm, shard: (stream) => env.SKU.getByName(stream) });
    this.#host = { sql, transaction, state, setState, loans: this.#loans };
    const wakeAt: GroupHost['wakeAt'] = (events, recorded, now) => this.#wakeAt(events, recorded, now);
    // A reserve that walked joins a group, unless units it brought were lent on meanwhile and a sibling may still have some.
    const borrows: GroupHost['borrows'] = ({ req, walked }) => this.#loans.wants(req.qty, req.customerId) && (!walked || this.#loans.worthAsking());
    this.#batches = new ReserveBatches({ sql, transaction, state, setState, moveAlarm, wakeAt, borrows, alone: (call) => this.#reserveAlone(call), outcomes: this.#outcomes });
    const groupMax = workerConfig(env).RESERVE_GROUP_MAX;
    this.#queue = groupMax > 1 ? new CommandQueue((calls) => this.#batches.run(calls), groupMax) : null;
    void ctx.blockConcurrencyWhile(() => this.#alarm.load());
  }

  async reserve(req: R.ReserveRequest, idempotency: IdempotencyInput, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    if (this.#fault.mode === 'hang') await this.#fault.pass();
    const call = { req, idempotency, ticket };
    if (!this.#queue) return this.#outcomes.count(await this.#reserveAlone(call));
    this.#checkSku(req.sku);
    if (!this.#loans.wants(req.qty, req.customerId)) return this.#queue.decide(call);
    const walk = (c: R.ReserveCall) => beforeCommit<ReservationView>(this.#host, this.#runOptions(c));
    return reserveAfterWalking({ walk, submit: (c) => this.#queue!.submit(c), count: (o) => this.#outcomes.count(o) }, call);
  }

  /** Command groups decided inside this instance so far (null: grouping off), for tests. */
  get commandGroups(): { groups: number; commands: number } | null { return this.#queue ? { ...this.#queue.seen } : null; }

  /** Reserves, completes and cancels decided in order and committed together (`sku/groupCommit`): one answer per call, in order. */
  reserveBatch(calls: R.GroupCall[]): Promise<R.BatchAnswer[]> {
    for (const c of calls) this.#checkSku('req' in c ? c.req.sku : c.ref.sku);
    return this.#batches.run(calls);
  }

  #reserveAlone(call: R.ReserveCall): Promise<Outcome<ReservationView>> {
    const { command, present } = reserveCommand(call.req);
    return this.#run(call.req.sku, command, present, this.#runOptions(call));
  }

  #runOptions({ req, idempotency, ticket }: R.ReserveCall): R.RunOptions {
    return { idempotency, ticket, units: req.qty, customerId: req.customerId, region: req.region, rehomed: req.rehomedFrom !== undefined };
  }

  /** The counters and the reserve outcomes counted since this instance started. */
  stats(sku: string): Outcome<R.SkuStats> {
    return this.#ifKnown(sku, () => ({ counters: skuCounters(this.#state), ...this.#outcomes.snapshot(), hoarding: hoardingOf(this.#sql, this.#state.expiredUnits) }));
  }

  /** What a reserve under this key did here, if anything: a retry's first stop after failover (ADR 0022). */
  replayReserve(sku: string, idempotency: IdempotencyInput): Outcome<ReservationView> | null {
    this.#checkSku(sku);
    return replay(this.#sql, idempotency);
  }

  /** What a reserve under this scope did, or a refusal that closes the scope (`sku/abandon`). */
  abandonReserve(sku: string, customerId: string, idempotency: IdempotencyInput): Promise<Outcome<ReservationView>> {
    this.#checkSku(sku);
    return abandonReserve({ ...this.#host, alarm: this.#alarm }, customerId, idempotency);
  }

  complete(ref: R.ReservationRef, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    return this.#settle({ settle: 'complete', ref, ticket });
  }

  cancel(ref: R.ReservationRef, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    return this.#settle({ settle: 'cancel', ref, ticket });
  }

  /** A complete or a cancel: in the group in progress when grouping is on, else alone. */
  async #settle(call: R.SettleCall): Promise<Outcome<ReservationView>> {
    this.#checkSku(call.ref.sku);
    if (this.#queue) return this.#queue.decide(call);
    const { command, present } = settleCommand(call);
    return this.#run(call.ref.sku, command, present, { ticket: call.ticket });
  }

  async setStock(req: R.SetStockRequest, idempotency?: IdempotencyInput, ticket?: Ticket): Promise<Outcome<SkuCounters>> {
    return this.#run(req.sku, { type: 'SetStock', data: req }, countersOf, { idempotency, ticket });
  }

  /**
   * A shard of a sharded SKU: its stock moved by `delta` and its layout and limit set, relative to
   * whatever loans moved meanwhile (the edge's plan, `src/api/shards.ts`).
   */
  async adjustStock(req: R.AdjustStockRequest, ticket?: Ticket): Promise<Outcome<SkuCounters>> {
    return this.#run(req.sku, { type: 'AdjustStock', data: req }, countersOf, { ticket });
  }

  /** The counters and the units lent out net of those borrowed, in all and per location: summed over shards, the SKU's stock. */
  stock(sku: string): Outcome<NonNullable<ShardStock>> {
    return this.#ifKnown(sku, () => shardStockOf(this.#state));
  }

  async receiveStock(req: R.ReceiveStockRequest, idempotency?: IdempotencyInput, ticket?: Ticket): Promise<Outcome<SkuCounters>> {
    return this.#run(req.sku, { type: 'ReceiveStock', data: req }, countersOf, { idempotency, ticket });
  }

  async adminRelease({ sku, ...data }: R.AdminReleaseRequest, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    return this.#run(sku, { type: 'AdminRelease', data }, viewOf({ sku, ...data }), { ticket });
  }

  /** A warehouse document moved a location's stock (the bridge's feed): applied once per sequence. */
  async applyMovement(req: R.MovementRequest, ticket?: Ticket): Promise<Outcome<R.MovementResult>> {
    const away = await this.#bringHome(req.location, req.delta, movementCause(req));
    return away ? err(away) : this.#run(req.sku, { type: 'ApplyMovement', data: req }, movementResult(req), { ticket });
  }

  /** A repair of a location's stock by reconcile, kept under the admin's Idempotency-Key. */
  async adjustLocation(req: R.AdjustLocationRequest, idempotency: IdempotencyInput, ticket?: Ticket): Promise<Outcome<R.MovementResult>> {
    const away = replay(this.#sql, idempotency) ? null : await this.#bringHome(req.location, req.delta, repairCause(req));
    return away ? err(away) : this.#run(req.sku, { type: 'AdjustLocation', data: req }, movementResult(req), { idempotency, ticket });
  }

  /** Shard 0 of a sharded SKU brings a location's units home from its siblings before lowering it (`sku/recall`). */
  #bringHome(location: string, delta: number, cause: StockCause): Promise<Overloaded | null> {
    return bringUnitsHome(() => this.#state, (lender, request) => this.#loans.loanFrom(lender, request), { location, delta, cause });
  }

  /** The WMS holds the units (called by the bridge's saga). */
  async confirmAllocation({ sku, causedBy, ...data }: R.ConfirmAllocationRequest, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    return this.#run(sku, { type: 'ConfirmAllocation', data, ...caused(causedBy) }, viewOf({ sku, ...data }), { ticket });
  }

  /** The WMS refused or never answered: compensate with a release (called by the saga). */
  async failAllocation({ sku, causedBy, ...data }: R.FailAllocationRequest, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    return this.#run(sku, { type: 'FailAllocation', data, ...caused(causedBy) }, viewOf({ sku, ...data }), { ticket });
  }

  counters(sku: string): Outcome<SkuCounters> {
    return this.#ifKnown(sku, () => skuCounters(this.#state));
  }

  reservation(ref: R.ReservationRef): Outcome<R.ReservationWithHistory> {
    this.#checkSku(ref.sku);
    return reservationWithHistory(this.#sql, ref.sku, ref.reservationId, ref.customerId);
  }

  events(sku: string, after: number, limit: number): Outcome<R.EventPage> {
    return this.#ifKnown(sku, () => ({ events: readEvents(this.#sql, sku, after, limit), lastVersion: this.#state.version }));
  }

  /** How far the outbox push got: relay lag as the object sees it. */
  relayStatus(sku: string): Outcome<R.SkuRelayStatus> {
    return this.#ifKnown(sku, () => ({ sku, lastVersion: this.#state.version, ...this.#relay.status() }));
  }

  /** Remembers a signed internal call about this SKU; false when its signature was used before. */
  async acceptSignature(sku: string, id: string, expiresAt: number): Promise<boolean> {
    this.#checkSku(sku);
    const accepted = acceptSignature(this.#sql, id, expiresAt);
    if (accepted) await this.#alarm.moveEarlier(expiresAt);
    return accepted;
  }

  /** A rebuild's view of this SKU for a generation (see `ProjectionWriter.projectInto`). */
  async projectInto(sku: string, generation: string, counters: SkuCounters): Promise<Outcome<ProjectResult>> {
    this.#checkSku(sku);
    return this.#projection.projectInto(generation, counters, (at) => this.#alarm.moveEarlier(at));
  }

  /** A sibling shard short of units asks for some (see `ShardLoans.lend`). */
  async lend(req: LendRequest): Promise<Outcome<LoanAnswer>> {
    if (this.#fault.mode === 'hang') await this.#fault.pass();
    this.#checkSku(req.sku);
    return this.#loans.lend(req);
  }

  /** A loan delivered again by its lender: taken once, whatever the number of deliveries. */
  async receiveLoan(loan: LoanDelivery): Promise<Outcome<null>> {
    this.#checkSku(loan.sku);
    return this.#loans.receive(loan);
  }

  /** A sibling that said it was empty has units again. */
  undrain(req: Undrain): Outcome<null> {
    this.#checkSku(req.sku);
    this.#loans.undrained(req);
    return ok(null);
  }

  /** The alarm's work: `sku/alarmRun`. */
  override async alarm(): Promise<void> {
    await runAlarm({ ...this.#host, alarm: this.#alarm, relay: this.#relay, projection: this.#projection, loans: this.#loans });
  }

  /** Screened and, if short, borrowed for first (`sku/beforeCommit`), then committed. */
  async #run<T>(sku: string, command: SkuCommand, present: Present<T>, options: R.RunOptions = {}): Promise<Outcome<T>> {
    this.#checkSku(sku);
    const early = await beforeCommit<T>(this.#host, options);
    if (early) return early;
    const { outcome, wakeAt } = this.#commit(command, Date.now(), present, { idempotency: options.idempotency });
    await this.#alarm.moveEarlier(wakeAt);
    return outcome;
  }

  /** Decide, then write everything the command produced in one transaction; answers when the alarm must fire. */
  #commit<T>(command: SkuCommand, now: number, present: Present<T>, { idempotency, alsoWrite }: R.CommitOptions<T> = {}): Committed<T> {
    const decided = decideCommand(this.#sql, this.#state, command, now, present);
    const { outcome, events } = decided;
    this.ctx.storage.transactionSync(() => {
      saveDecision(this.#sql, decided.before, decided.after, events, now);
      if (idempotency) saveRecord(this.#sql, idempotency, outcome, now);
      if (outcome.ok && alsoWrite) alsoWrite(outcome.value);
    });
    this.#state = decided.after.state;
    return { outcome, wakeAt: this.#wakeAt(events, idempotency !== undefined, now) };
  }

  /** When the alarm must fire for what a commit wrote: a new hold, a first idempotency record, work for the alarm. */
  #wakeAt(events: readonly SkuEvent[], recorded: boolean, now: number): number | null {
    const expiry = events.reduce<number | null>((at, e) => (e.type === 'StockReserved' ? earliest(at, Date.parse(e.data.expiresAt)) : at), null);
    const records = recorded && !this.#alarm.isSet ? now + IDEMPOTENCY_RETENTION_MS : null;
    // An alarm already due recomputes every deadline from storage when it runs: nothing to look up.
    const work = events.length > 0 && !this.#alarm.isDue(now) ? workDueAt({ relay: this.#relay, projection: this.#projection, loans: this.#loans }, now) : {};
    return nextAlarmAt({ expiry, records, ...work }, now);
  }

  /** What `read` answers about this SKU, or `sku_not_found` before its first event. */
  #ifKnown<T>(sku: string, read: () => T): Outcome<T> {
    this.#checkSku(sku);
    return this.#state.version === 0 ? err({ code: 'sku_not_found' }) : ok(read());
  }

  /** The regional drill's switch (`sku/faultSwitch`); null where the configuration forbids fault injection. */
  setFault(regionsDown: ShardRegion[], mode: Exclude<FaultMode, 'none'>): FaultAnswer | null {
    return workerConfig(this.env).FAULT_INJECTION ? this.#fault.apply(this.#state, regionsDown, mode) : null;
  }

  /** One object per SKU: a request for another SKU is a routing bug, never something to serve. While faulted, unreachable. */
  #checkSku(sku: string): void {
    this.#fault.check();
    if (this.#state.sku !== null && this.#state.sku !== sku) {
      throw new Error(`SKU object for ${this.#state.sku} was asked about ${sku}`);
    }
  }
}

