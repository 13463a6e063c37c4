import { DurableObject } from 'cloudflare:workers';
import { err, ok } from '../src/domain/core/result';
import { skuStream, type VectorClock } from '../src/domain/core/vectorClock';
import {
  available,
  decide,
  evolveContext,
  homeShard,
  reservationSuffix,
  reservationView,
  rowKeys,
  shardOf,
  siblingsOf,
  skuCounters,
  skuOf,
  type ReservationView,
  type SkuCommand,
  type SkuContext,
  type SkuCounters,
  type SkuEvent,
  type SkuState,
} from '../src/domain/sku';
import { generationsForWriting } from './generations/registry';
import type { Env } from '../src/env';
import { liveGenerations } from './generations/view';
import { MAX_RELAY_BATCH } from '../src/contract/relayBatch';
import { appendEvents, loadState, readEvents, readOutbox, readReservationHistory, saveState } from './sku/eventLog';
import { activeUnitsOf, dueReservations, loadReservation, nextExpiry, saveReservation } from './sku/reservations';
import {
  findRecord,
  IDEMPOTENCY_RETENTION_MS,
  nextPurgeAt,
  purgeExpiredRecords,
  saveRecord,
  type IdempotencyInput,
} from './sku/idempotency';
import type { Outcome } from '../src/contract/outcome';
import { admit, type Overloaded, type Ticket } from './sku/admission';
import { addEmptyWatcher, emptyWatchers, hasUndeliveredLoans, loadLoan, markDelivered, removeEmptyWatcher, saveLoanOf, undeliveredLoans } from './sku/loans';
import { Siblings } from './sku/siblings';
import { newReservationId } from './sku/reservationId';
import { pushBatch, relaySettings, type RelayTarget } from './relay/push';
import { recordRelayed, recordRelayFailure, relayBackoffMs, relayDueAt, relayStatus, type RelayStatus } from './relay/state';
import { loadWrites, planWrite, projectionDueAt, recordWrite, viewKey, writtenVersion, type WritePlan, type WriteRow } from './sku/projection';
import { migrate } from './sku/schema';
import { acceptSignature, nextSignatureExpiry, purgeSeenSignatures } from './shared/seenSignatures';

export type ReserveRequest = { sku: string; customerId: string; qty: number; ttlSeconds: number; causedBy?: VectorClock };
export type ReservationRef = { sku: string; reservationId: string; customerId: string; causedBy?: VectorClock };
export type SetStockRequest = { sku: string; onHand: number; limitPerCustomer?: number | null; expectedVersion?: number };
export type AdjustStockRequest = { sku: string; delta: number; shards: number; limitPerCustomer: number | null };
type RunOptions = { idempotency?: IdempotencyInput | undefined; ticket?: Ticket | undefined; units?: number; customerId?: string };
export type ReceiveStockRequest = { sku: string; qty: number; expectedVersion?: number };
export type ReservationWithHistory = ReservationView & { history: SkuEvent[] };
export type EventPage = { events: SkuEvent[]; lastVersion: number };
export type SkuRelayStatus = RelayStatus & { sku: string; lastVersion: number };
export type LendRequest = { sku: string; transferId: string; to: string; want: number };
/** `lent` units (0: none); `left` units remain; `round`: the lender's undrain round; `version` of its StockLent. */
export type LoanAnswer = { lent: number; left: number; round: number; version: number | null };
export type LoanDelivery = { sku: string; transferId: string; from: string; qty: number; lentVersion: number };
export type Undrain = { sku: string; from: string; round: number };
export type SkuStats = { counters: SkuCounters; outcomes: Record<string, number>; since: string };

type ProjectionWrite = Extract<WritePlan, { kind: 'deferred' | 'current' }> | { kind: 'written' };

/**
 * Expiries per alarm run. workerd's clock stands still while code runs, so the chunk is bounded by
 * count; while more are due the alarm comes back after STORM_YIELD_MS, and commands run between.
 * A run blocks the object for its whole chunk, so the size trades a storm's drain time for
 * buyers' latency during it. 49,736 holds falling due at once (`npm run bench:storm`): chunks of
 * 250 re-armed at once, buyers' p99 282 ms; 100 re-armed at once, 239 ms (the alarm took the
 * object back before the queued commands ran); 100 with the yield, 151 ms, every hold expired
 * within 23 s (2,147/s).
 */
const EXPIRIES_PER_ALARM = 100;
/** The pause between two full chunks of expiries, for the commands waiting meanwhile. */
const STORM_YIELD_MS = 25;
const PROJECTION_RETRY_MS = 5_000;
/** Pushes per alarm run; a longer backlog continues in the next run, so expiries are never starved. */
const RELAY_BATCHES_PER_ALARM = 20;
/**
 * A borrower normally takes a loan from the lender's answer; the lender delivers it again after
 * this, in case the answer was lost on the way (dropped call, borrower restarted): a repeated
 * delivery changes nothing, a missing one would lose the units.
 */
const LOAN_DELIVERY_GRACE_MS = 2_000;
const SIBLING_RETRY_MS = 1_000;
const LOAN_DELIVERIES_PER_ALARM = 20;
/**
 * Walks of its own one reservation may make before it is told to come back: each brings units, but
 * commands run while a walk awaits its siblings and may take them first.
 */
const MAX_WALKS = 8;
/** Retry-After when a sibling did not answer a walk: its location may be restarting. */
const SIBLING_UNREACHABLE_RETRY_S = 5;

/**
 * The single writer of one SKU. Every command is decided by the pure domain and committed in
 * one synchronous SQLite transaction (events, outbox rows, the reservation row, the counters, the
 * idempotency record), so the output gate holds the reply until all of it is durable and nothing
 * is ever half-applied. No command awaits the network: the input gate stays closed while a
 * command runs. Memory holds the counters only; a command loads the rows it names by index, so
 * its cost does not grow with the SKU's history.
 */
export class Sku extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  readonly #relayTarget: RelayTarget | null;
  readonly #relayMaxBackoffMs: number;
  #state: SkuState;
  #kvWrites: Promise<void> = Promise.resolve();
  /** After a failed KV write or registry call: not before then. */
  #projectionRetryAt: number | null = null;
  /** The read-model generations last heard of from the registry (refreshed by every alarm). */
  #liveGenerations: string[] | null = null;
  /** A copy of the projection_writes rows, which only #writeProjection changes: read on every commit. */
  #writes: WriteRow[] | null = null;
  /** When the alarm is set for; a cache of storage that the constructor reloads. */
  #alarmAt: number | null = null;
  /** Sharded stock: what this shard knows of its siblings, and the walk for units under way. */
  readonly #siblings = new Siblings();
  #walk: Promise<void> | null = null;
  /** This shard's undrain round, and whether a sibling waits to hear that units came back. */
  #undrainRound: number;
  #watched: boolean;
  #siblingRetryAt: number | null = null;
  #moreLoansAt: number | null = null;
  /**
   * Reserve outcomes by code since this instance started (`reserved` or the refusal's code), for
   * the operators' live view. Memory only: a refusal writes nothing, and counting it in storage
   * would make a sold-out SKU's flood cost a write per buyer. Readers see `since` and take rates.
   */
  readonly #outcomes = new Map<string, number>();
  readonly #startedAt = Date.now();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    ({ target: this.#relayTarget, maxBackoffMs: this.#relayMaxBackoffMs } = relaySettings(env, ctx.id.toString()));
    migrate(this.#sql);
    this.#state = loadState(this.#sql, this.#storedSku(), (work) => ctx.storage.transactionSync(work));
    this.#undrainRound = Number(this.#meta('undrain_round') ?? 0);
    this.#watched = emptyWatchers(this.#sql).length > 0;
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  async reserve(req: ReserveRequest, idempotency: IdempotencyInput, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    const reservationId = `${newReservationId()}${reservationSuffix(shardOf(req.sku))}`;
    const command: SkuCommand = {
      type: 'Reserve',
      data: { sku: req.sku, reservationId, customerId: req.customerId, qty: req.qty, ttlSeconds: req.ttlSeconds },
      ...(req.causedBy ? { causedBy: req.causedBy } : {}),
    };
    const outcome = await this.#run(req.sku, command, this.#viewOf({ sku: req.sku, reservationId }), { idempotency, ticket, units: req.qty, customerId: req.customerId });
    const code = outcome.ok ? 'reserved' : outcome.error.code;
    this.#outcomes.set(code, (this.#outcomes.get(code) ?? 0) + 1);
    return outcome;
  }

  /** The counters and the reserve outcomes counted since this instance started. */
  stats(sku: string): Outcome<SkuStats> {
    const counters = this.counters(sku);
    return counters.ok ? ok({ counters: counters.value, outcomes: Object.fromEntries(this.#outcomes), since: new Date(this.#startedAt).toISOString() }) : counters;
  }

  /**
   * What a reserve under this idempotency scope did, without ever reserving anew: its stored
   * outcome, or, if it never ran here, a stored refusal that closes the scope, so that reserve
   * (still on its way, say) is answered with the refusal instead of holding units nobody releases.
   * A checkout calls it for a line whose reserve may have committed without the answer reaching it.
   */
  async abandonReserve(sku: string, customerId: string, idempotency: IdempotencyInput): Promise<Outcome<ReservationView>> {
    this.#checkSku(sku);
    const stored = this.#replay<ReservationView>(idempotency);
    if (stored) return stored;
    const misrouted = this.#misrouted(customerId);
    if (misrouted) return err(misrouted);
    const now = Date.now();
    const outcome: Outcome<ReservationView> = err({ code: 'reservation_abandoned' });
    this.ctx.storage.transactionSync(() => saveRecord(this.#sql, idempotency, outcome, now));
    if (this.#alarmAt === null) await this.#armAlarm(now + IDEMPOTENCY_RETENTION_MS);
    return outcome;
  }

  async complete(ref: ReservationRef, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    const { reservationId, customerId, causedBy } = ref;
    return this.#run(ref.sku, { type: 'CompletePurchase', data: { reservationId, customerId }, ...(causedBy ? { causedBy } : {}) }, this.#viewOf(ref), { ticket });
  }

  async cancel(ref: ReservationRef, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    const { reservationId, customerId, causedBy } = ref;
    return this.#run(ref.sku, { type: 'CancelReservation', data: { reservationId, customerId }, ...(causedBy ? { causedBy } : {}) }, this.#viewOf(ref), { ticket });
  }

  async setStock(req: SetStockRequest, idempotency?: IdempotencyInput, ticket?: Ticket): Promise<Outcome<SkuCounters>> {
    return this.#run(req.sku, { type: 'SetStock', data: req }, countersOf, { idempotency, ticket });
  }

  /**
   * A shard of a sharded SKU: its stock moved by `delta` and its layout and limit set, relative to
   * whatever loans moved meanwhile (the edge's plan, `src/api/shards.ts`).
   */
  async adjustStock(req: AdjustStockRequest, ticket?: Ticket): Promise<Outcome<SkuCounters>> {
    return this.#run(req.sku, { type: 'AdjustStock', data: req }, countersOf, { ticket });
  }

  /** The counters and the units lent out net of those borrowed: summed over shards, the SKU's stock. */
  stock(sku: string): Outcome<{ counters: SkuCounters; lent: number }> {
    const counters = this.counters(sku);
    return counters.ok ? ok({ counters: counters.value, lent: this.#state.lent }) : counters;
  }

  async receiveStock(req: ReceiveStockRequest, idempotency?: IdempotencyInput, ticket?: Ticket): Promise<Outcome<SkuCounters>> {
    return this.#run(req.sku, { type: 'ReceiveStock', data: req }, countersOf, { idempotency, ticket });
  }

  async adminRelease(req: { sku: string; reservationId: string; expectedVersion?: number }, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    const { reservationId, expectedVersion } = req;
    const data = expectedVersion === undefined ? { reservationId } : { reservationId, expectedVersion };
    return this.#run(req.sku, { type: 'AdminRelease', data }, this.#viewOf(req), { ticket });
  }

  /** The WMS holds the units (called by the bridge's saga). */
  async confirmAllocation(req: {
    sku: string;
    reservationId: string;
    allocationId: string;
    causedBy?: VectorClock;
  }, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    const { reservationId, allocationId, causedBy } = req;
    const command: SkuCommand = { type: 'ConfirmAllocation', data: { reservationId, allocationId }, ...(causedBy ? { causedBy } : {}) };
    return this.#run(req.sku, command, this.#viewOf(req), { ticket });
  }

  /** The WMS refused or never answered: compensate with a release (called by the saga). */
  async failAllocation(req: {
    sku: string;
    reservationId: string;
    reason: 'wms_timeout' | 'wms_rejected';
    causedBy?: VectorClock;
  }, ticket?: Ticket): Promise<Outcome<ReservationView>> {
    const { reservationId, reason, causedBy } = req;
    const command: SkuCommand = { type: 'FailAllocation', data: { reservationId, reason }, ...(causedBy ? { causedBy } : {}) };
    return this.#run(req.sku, command, this.#viewOf(req), { ticket });
  }

  counters(sku: string): Outcome<SkuCounters> {
    this.#checkSku(sku);
    return this.#state.version === 0 ? err({ code: 'sku_not_found' }) : ok(skuCounters(this.#state));
  }

  reservation(ref: ReservationRef): Outcome<ReservationWithHistory> {
    this.#checkSku(ref.sku);
    const r = loadReservation(this.#sql, ref.reservationId);
    if (!r || r.customerId !== ref.customerId) return err({ code: 'reservation_not_found' });
    return ok({ ...reservationView(skuOf(ref.sku), r), history: readReservationHistory(this.#sql, ref.sku, r.reservationId) });
  }

  events(sku: string, after: number, limit: number): Outcome<EventPage> {
    this.#checkSku(sku);
    if (this.#state.version === 0) return err({ code: 'sku_not_found' });
    return ok({ events: readEvents(this.#sql, sku, after, limit), lastVersion: this.#state.version });
  }

  /** How far the outbox push got: relay lag as the object sees it. */
  relayStatus(sku: string): Outcome<SkuRelayStatus> {
    this.#checkSku(sku);
    if (this.#state.version === 0) return err({ code: 'sku_not_found' });
    return ok({ sku, lastVersion: this.#state.version, ...relayStatus(this.#sql) });
  }

  /** Remembers a signed internal call about this SKU; false when its signature was used before. */
  async acceptSignature(sku: string, id: string, expiresAt: number): Promise<boolean> {
    this.#checkSku(sku);
    const accepted = acceptSignature(this.#sql, id, expiresAt);
    if (accepted) await this.#armAlarm(expiresAt);
    return accepted;
  }

  /**
   * Alarms fire at least once, sometimes twice or late: everything due is derived from storage,
   * each expiry is its own idempotent command, and the next alarm is set only at the end so a
   * failed run is retried by the runtime. The outbox push awaits the network, which is allowed
   * here and only here: each batch is read from storage, and acknowledged rows are removed by
   * version, so commits interleaving with the push lose nothing.
   */
  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    const now = Date.now();
    const due = dueReservations(this.#sql, now, EXPIRIES_PER_ALARM);
    for (const reservationId of due) {
      this.#commit({ type: 'ExpireReservation', data: { reservationId } }, now, () => null);
    }
    purgeExpiredRecords(this.#sql, now);
    purgeSeenSignatures(this.#sql, now);
    this.#siblingRetryAt = null;
    await this.#deliverLoans();
    await this.#tellWatchers();
    await this.#relayOutbox();
    await this.#writeProjection();
    const next = [
      nextExpiry(this.#sql),
      nextPurgeAt(this.#sql),
      nextSignatureExpiry(this.#sql),
      this.#relayDueAt(Date.now()),
      this.#projectionDueAt(Date.now()),
      this.#siblingsDueAt(Date.now()),
    ].reduce(earliest, null);
    // A full chunk means a storm: the next run waits a moment, so the commands queued behind
    // this one are served first rather than the alarm taking the object back at once.
    if (next !== null) await this.#armAlarm(due.length === EXPIRIES_PER_ALARM ? Math.max(next, Date.now() + STORM_YIELD_MS) : next);
  }

  /**
   * The live read model: the newest view, to every live generation that lags, all together and at
   * most once a second. Only this object writes its keys, so a view never replaces a newer one.
   */
  async #writeProjection(): Promise<ProjectionWrite> {
    const sku = this.#state.sku;
    if (!sku) return { kind: 'current' };
    try {
      this.#liveGenerations = liveGenerations(await generationsForWriting(this.env));
    } catch (error) {
      // The registry not answering must not stop the alarm (expiries, relay), and the views wait:
      // written from an old copy, one could land in a generation deleted meanwhile, for good.
      console.warn(JSON.stringify({ level: 'warn', sku, message: 'generations registry unavailable: views deferred', error: String(error) }));
      this.#liveGenerations = null;
      return this.#retryProjectionLater();
    }
    const gens = this.#liveGenerations;
    let outcome: ProjectionWrite = { kind: 'current' };
    // One write at a time: a put awaits the network, and two interleaved runs could both write.
    this.#kvWrites = this.#kvWrites.then(async () => {
      const plan = planWrite(this.#projectionWrites(), gens, this.#state, Date.now());
      if (plan.kind !== 'write') {
        outcome = plan;
        return;
      }
      const results = await Promise.allSettled(plan.writes.map(({ generation, view }) => this.env.PROJECTIONS.put(viewKey(generation, sku), JSON.stringify(view))));
      // What was written is recorded (its key is now rate-limited); what failed waits for a retry, not a hot loop.
      plan.writes.forEach(({ generation, view }, i) => results[i]!.status === 'fulfilled' && recordWrite(this.#sql, generation, view));
      this.#writes = null;
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        console.warn(JSON.stringify({ level: 'warn', sku, message: 'read model write failed', error: String(failed.reason) }));
        outcome = this.#retryProjectionLater();
        return;
      }
      this.#projectionRetryAt = null;
      outcome = { kind: 'written' };
    });
    await this.#kvWrites;
    return outcome;
  }

  #retryProjectionLater(): ProjectionWrite {
    this.#projectionRetryAt = Date.now() + PROJECTION_RETRY_MS;
    return { kind: 'deferred', at: this.#projectionRetryAt };
  }

  /**
   * A rebuild's view of this SKU for a generation, replayed from the log. This object writes it
   * (or, further along, its own newer view: both are folds of a prefix of its log) together with
   * its other generations; `deferred` means within the second, to be sent again.
   */
  async projectInto(sku: string, generation: string, counters: SkuCounters): Promise<Outcome<{ result: 'written' | 'stale' | 'deferred' }>> {
    this.#checkSku(sku);
    if (this.#state.version === 0) return err({ code: 'sku_not_found' });
    if (counters.version > this.#state.version) {
      return err({ code: 'invalid_command', reason: `a view at version ${counters.version} is ahead of the object (${this.#state.version})` });
    }
    if (writtenVersion(this.#projectionWrites(), generation) >= counters.version) return ok({ result: 'stale' });
    const written = await this.#writeProjection();
    // A shadow created within the last second may not have reached this isolate yet: ask again later.
    if (!this.#liveGenerations?.includes(generation)) return ok({ result: 'deferred' });
    if (written.kind === 'deferred') {
      await this.#armAlarm(written.at);
      return ok({ result: 'deferred' });
    }
    return ok({ result: writtenVersion(this.#projectionWrites(), generation) >= counters.version ? 'written' : 'deferred' });
  }

  /** Before the registry was first asked, a write is due at once; the alarm then learns the generations. */
  #projectionDueAt(now: number): number | null {
    if (!this.#state.sku) return null;
    const due = this.#liveGenerations ? projectionDueAt(this.#projectionWrites(), this.#liveGenerations, this.#state.version, now) : now;
    return due === null ? null : Math.max(due, this.#projectionRetryAt ?? 0);
  }

  #projectionWrites(): WriteRow[] {
    return (this.#writes ??= loadWrites(this.#sql));
  }

  async #relayOutbox(): Promise<void> {
    const target = this.#relayTarget;
    const sku = this.#state.sku;
    if (!target || !sku) return;
    for (let i = 0; i < RELAY_BATCHES_PER_ALARM; i++) {
      const due = relayDueAt(this.#sql, Date.now());
      if (due === null || due > Date.now()) return;
      const result = await pushBatch(target, { sku, events: readOutbox(this.#sql, sku, MAX_RELAY_BATCH) }, Date.now());
      if (!result.ok) {
        recordRelayFailure(this.#sql, result.error, Date.now(), (n) => relayBackoffMs(n, this.#relayMaxBackoffMs, Math.random()));
        console.warn(JSON.stringify({ level: 'warn', sku, message: 'outbox push failed', error: result.error, ...relayStatus(this.#sql) }));
        return;
      }
      recordRelayed(this.#sql, result.acked, Date.now());
    }
  }

  #relayDueAt(now: number): number | null {
    return this.#relayTarget ? relayDueAt(this.#sql, now) : null;
  }

  /**
   * A command that queued past its ticket's bound is shed first, before storage is read or
   * written: no event, no idempotency record, so a retry under the same key is decided anew.
   */
  async #run<T>(
    sku: string,
    command: SkuCommand,
    present: (ctx: SkuContext) => T,
    { idempotency, ticket, units, customerId }: RunOptions = {},
  ): Promise<Outcome<T>> {
    this.#checkSku(sku);
    const shed = admit(ticket, Date.now());
    if (shed) return err(shed);
    const stored = idempotency ? this.#replay<T>(idempotency) : null;
    if (stored) return stored;
    // After the replay: a request decided here before the layout grew still gets its answer.
    const misrouted = customerId === undefined ? null : this.#misrouted(customerId);
    if (misrouted) return err(misrouted);
    if (units !== undefined && units > available(this.#state) && this.#state.shards > 1 && this.#withinLimit(customerId, units)) {
      const unreachable = await this.#borrow(units);
      if (unreachable) return err(unreachable);
      // The same request may have been decided by a twin while this one waited for units.
      const decided = idempotency ? this.#replay<T>(idempotency) : null;
      if (decided) return decided;
    }
    const { outcome, wakeAt } = this.#commit(command, Date.now(), present, idempotency);
    if (wakeAt !== null) await this.#armAlarm(wakeAt);
    return outcome;
  }

  /**
   * Units for a reservation of `units` on a shard short of them: borrowed from the siblings not
   * known to be empty, one walk at a time per shard (buyers arriving meanwhile wait for it and then
   * look again). Null once there are enough units or every sibling is known empty, so the
   * decision that follows refuses `insufficient_stock` only when the whole SKU lacks the units;
   * 503 when a sibling that might have them did not answer.
   */
  async #borrow(units: number): Promise<Overloaded | null> {
    for (let walks = 0; walks < MAX_WALKS; ) {
      if (available(this.#state) >= units) return null;
      if (this.#walk) {
        // Another buyer's walk brings units for it and, often, for the ones waiting behind it.
        await this.#walk;
        continue;
      }
      walks++;
      let reached = true;
      this.#walk = this.#walkSiblings(units).then((r) => void (reached = r));
      try {
        await this.#walk;
      } finally {
        this.#walk = null;
      }
      if (available(this.#state) >= units) return null;
      if (!reached) return { code: 'overloaded', retryAfterSeconds: SIBLING_UNREACHABLE_RETRY_S };
      if (this.#siblings.allEmpty(this.#allSiblings())) return null;
    }
    // Units kept moving away between this buyer's walks (its siblings were borrowing too).
    return { code: 'overloaded', retryAfterSeconds: 1 };
  }

  /** Asks the siblings in turn until this shard has `units` available; false if one did not answer. */
  async #walkSiblings(units: number): Promise<boolean> {
    const self = this.#state.sku!;
    let reached = true;
    for (const lender of this.#siblings.toAsk(this.#allSiblings())) {
      const want = units - available(this.#state);
      if (want <= 0) break;
      const transferId = crypto.randomUUID();
      let answer: Outcome<LoanAnswer>;
      try {
        answer = await this.#shard(lender).lend({ sku: lender, transferId, to: self, want });
      } catch (error) {
        console.warn(JSON.stringify({ level: 'warn', sku: self, message: 'sibling shard unreachable', lender, error: String(error) }));
        reached = false;
        continue;
      }
      // A sibling not set up yet (its layout is being written) may get units at any moment.
      if (!answer.ok) {
        reached = false;
        continue;
      }
      const { lent, left, round, version } = answer.value;
      this.#siblings.heard(lender, left, round);
      if (lent > 0 && version !== null) this.#takeLoan({ sku: self, transferId, from: lender, qty: lent, lentVersion: version });
      // Units just came here: siblings told this shard was empty hear it before its buyers take
      // them, which keeps the window in which they refuse buyers while units sit here short.
      if (lent > 0 && this.#watched) await this.#tellWatchers();
    }
    return reached;
  }

  #takeLoan(loan: LoanDelivery): Outcome<null> {
    const { transferId, from, qty, lentVersion } = loan;
    const command: SkuCommand = { type: 'ReceiveLoan', data: { transferId, from, qty }, causedBy: { [skuStream(from)]: lentVersion } };
    const { outcome, wakeAt } = this.#commit(command, Date.now(), () => null);
    if (wakeAt !== null) void this.#armAlarm(wakeAt);
    return outcome;
  }

  /**
   * A sibling short of units asks for some. What is lent leaves this shard's stock in the same
   * transaction as its StockLent event; left empty, this shard remembers the sibling and tells it
   * when units come back. The borrower takes the loan from the answer; this shard delivers it
   * again later (see `alarm`), so a lost answer loses no unit, and a repeat doubles none.
   */
  async lend(req: LendRequest): Promise<Outcome<LoanAnswer>> {
    this.#checkSku(req.sku);
    const now = Date.now();
    const command: SkuCommand = { type: 'LendStock', data: { transferId: req.transferId, to: req.to, want: req.want } };
    const { outcome, wakeAt } = this.#commit(command, now, (ctx) => available(ctx.state), undefined, (left) => {
      if (left === 0) addEmptyWatcher(this.#sql, req.to, this.#undrainRound);
    });
    if (!outcome.ok) return outcome;
    const left = outcome.value;
    if (left === 0) this.#watched = true;
    const loan = loadLoan(this.#sql, req.transferId);
    const due = earliest(wakeAt, loan ? now + LOAN_DELIVERY_GRACE_MS : null);
    if (due !== null) await this.#armAlarm(due);
    return ok({ lent: loan?.qty ?? 0, left, round: this.#undrainRound, version: loan?.version ?? null });
  }

  /** A loan delivered again by its lender: taken once, whatever the number of deliveries. */
  async receiveLoan(loan: LoanDelivery): Promise<Outcome<null>> {
    this.#checkSku(loan.sku);
    if (this.#state.version === 0) return err({ code: 'sku_not_found' });
    return this.#takeLoan(loan);
  }

  /** A sibling that said it was empty has units again. */
  undrain(req: Undrain): Outcome<null> {
    this.#checkSku(req.sku);
    this.#siblings.undrained(req.from, req.round);
    return ok(null);
  }

  /** Loans whose borrower may not have taken them, delivered again (the borrower ignores a repeat). */
  async #deliverLoans(): Promise<void> {
    const self = this.#state.sku;
    if (!self) return;
    const loans = undeliveredLoans(this.#sql, LOAN_DELIVERIES_PER_ALARM);
    // A full batch: the rest may be due already, so the next run is not held back by the grace.
    this.#moreLoansAt = loans.length === LOAN_DELIVERIES_PER_ALARM ? Date.now() + STORM_YIELD_MS : null;
    for (const loan of loans) {
      try {
        const taken = await this.#shard(loan.peer).receiveLoan({ sku: loan.peer, transferId: loan.transferId, from: self, qty: loan.qty, lentVersion: loan.version });
        if (!taken.ok) throw new Error(taken.error.code);
        this.ctx.storage.transactionSync(() => markDelivered(this.#sql, loan.transferId));
      } catch (error) {
        console.warn(JSON.stringify({ level: 'warn', sku: self, message: 'loan delivery failed', borrower: loan.peer, transferId: loan.transferId, error: String(error) }));
        this.#siblingRetryAt = Date.now() + SIBLING_RETRY_MS;
        return;
      }
    }
  }

  /** Units are back: every sibling told this shard was empty hears it, in a new round. */
  async #tellWatchers(): Promise<void> {
    const self = this.#state.sku;
    if (!self || !this.#watched || available(this.#state) === 0) return;
    const round = this.#undrainRound + 1;
    this.ctx.storage.transactionSync(() => this.#sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('undrain_round', ?)", String(round)));
    this.#undrainRound = round;
    for (const watcher of emptyWatchers(this.#sql)) {
      try {
        const heard = await this.#shard(watcher).undrain({ sku: watcher, from: self, round });
        if (!heard.ok) throw new Error(heard.error.code);
        this.ctx.storage.transactionSync(() => removeEmptyWatcher(this.#sql, watcher, round));
      } catch (error) {
        console.warn(JSON.stringify({ level: 'warn', sku: self, message: 'undrain failed', watcher, error: String(error) }));
        this.#siblingRetryAt = Date.now() + SIBLING_RETRY_MS;
      }
    }
    this.#watched = emptyWatchers(this.#sql).length > 0;
  }

  /** When sibling work is due: undelivered loans after their grace, watchers once units are back. */
  #siblingsDueAt(now: number): number | null {
    // Loans need siblings, and a layout never shrinks: an unsharded SKU has none to look for.
    const loans = this.#state.shards > 1 && hasUndeliveredLoans(this.#sql) ? (this.#moreLoansAt ?? now + LOAN_DELIVERY_GRACE_MS) : null;
    const watchers = this.#watched && available(this.#state) > 0 ? now : null;
    const due = earliest(loans, watchers);
    return due === null ? null : Math.max(due, this.#siblingRetryAt ?? 0);
  }

  /** Whether the limit lets the customer take `units` more: a buyer refused anyway borrows nothing. */
  #withinLimit(customerId: string | undefined, units: number): boolean {
    const limit = this.#state.limitPerCustomer;
    return limit === null || customerId === undefined || activeUnitsOf(this.#sql, customerId) + units <= limit;
  }

  /** Only the customer's home shard sees all their units: anywhere else the limit would leak. */
  #misrouted(customerId: string): { code: 'wrong_shard'; shards: number } | null {
    const { sku, shards } = this.#state;
    return sku !== null && homeShard(customerId, shards) !== shardOf(sku) ? { code: 'wrong_shard', shards } : null;
  }

  #allSiblings(): string[] {
    return siblingsOf(this.#state.sku ?? '', this.#state.shards);
  }

  #shard(stream: string): DurableObjectStub<Sku> {
    return this.env.SKU.getByName(stream);
  }

  #meta(key: string): string | undefined {
    return this.#sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0]?.value;
  }

  /** The first outcome under this scope, again; another request under it is refused. Null if none. */
  #replay<T>(idempotency: IdempotencyInput): Outcome<T> | null {
    const record = findRecord(this.#sql, idempotency.scope);
    if (!record) return null;
    if (record.requestHash !== idempotency.requestHash) return err({ code: 'idempotency_key_reused' });
    return { ...(JSON.parse(record.outcome) as Outcome<T>), replayed: true };
  }

  /**
   * Decide, then write everything the command produced in one transaction. Answers the outcome
   * and when the alarm must fire for what was just committed (a new hold, a first record).
   */
  #commit<T>(
    command: SkuCommand,
    now: number,
    present: (ctx: SkuContext) => T,
    idempotency?: IdempotencyInput,
    alsoWrite?: (presented: T) => void,
  ): { outcome: Outcome<T>; wakeAt: number | null } {
    const ctx = this.#contextFor(command);
    const decision = decide(command, ctx, now);
    const events = decision.ok ? decision.value : [];
    const next = events.reduce(evolveContext, ctx);
    const outcome: Outcome<T> = decision.ok ? ok(present(next)) : decision;
    this.ctx.storage.transactionSync(() => {
      if (events.length > 0) {
        if (this.#state.version === 0) this.#sql.exec("INSERT INTO meta (key, value) VALUES ('sku', ?)", next.state.sku);
        appendEvents(this.#sql, events, now);
        if (next.reservation && next.reservation !== ctx.reservation) saveReservation(this.#sql, next.reservation);
        for (const e of events) saveLoanOf(this.#sql, e);
        saveState(this.#sql, next.state);
      }
      if (idempotency) saveRecord(this.#sql, idempotency, outcome, now);
      if (outcome.ok && alsoWrite) alsoWrite(outcome.value);
    });
    this.#state = next.state;
    let wakeAt = idempotency && this.#alarmAt === null ? now + IDEMPOTENCY_RETENTION_MS : null;
    for (const e of events) {
      if (e.type === 'StockReserved') wakeAt = earliest(wakeAt, Date.parse(e.data.expiresAt));
    }
    // An alarm already due recomputes every deadline from storage when it runs: nothing to look up.
    const alarmDue = this.#alarmAt !== null && this.#alarmAt <= now;
    if (events.length > 0 && !alarmDue) wakeAt = [wakeAt, this.#relayDueAt(now), this.#projectionDueAt(now), this.#siblingsDueAt(now)].reduce(earliest, null);
    return { outcome, wakeAt };
  }

  /** Moves the alarm earlier when `at` comes first; a later alarm is re-armed by alarm() itself. */
  async #armAlarm(at: number): Promise<void> {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  /** The counters, and the rows the command names, loaded by index. */
  #contextFor(command: SkuCommand): SkuContext {
    const { reservationId, customerId, transferId } = rowKeys(command);
    const countUnits = customerId !== null && this.#state.limitPerCustomer !== null;
    return {
      state: this.#state,
      reservation: reservationId === null ? null : loadReservation(this.#sql, reservationId),
      activeUnits: countUnits ? activeUnitsOf(this.#sql, customerId) : 0,
      loan: transferId === null ? null : loadLoan(this.#sql, transferId),
    };
  }

  /** Presents a reservation the decision just succeeded on, so the context holds it. */
  #viewOf(ref: { sku: string; reservationId: string }): (ctx: SkuContext) => ReservationView {
    return (ctx) => reservationView(skuOf(ref.sku), ctx.reservation!);
  }

  #storedSku(): string {
    const row = this.#sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'sku'").toArray()[0];
    return row?.value ?? '';
  }

  /** One object per SKU: a request for another SKU is a routing bug, never something to serve. */
  #checkSku(sku: string): void {
    if (this.#state.sku !== null && this.#state.sku !== sku) {
      throw new Error(`SKU object for ${this.#state.sku} was asked about ${sku}`);
    }
  }
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

const countersOf = (ctx: SkuContext): SkuCounters => skuCounters(ctx.state);
