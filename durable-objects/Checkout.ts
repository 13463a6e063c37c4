import { DurableObject } from 'cloudflare:workers';
import {
  checkoutRefusal,
  checkoutStatus,
  directCause,
  evolveCheckout,
  nextStep,
  readReserve,
  readReserveStep,
  readSettle,
  requestChange,
  retryShed,
  stepCause,
  type CartLine,
  type CheckoutEvent,
  type CheckoutRecord,
  type CheckoutState,
  type CheckoutStatus,
  type CheckoutStep,
  type StepReading,
  upcastCheckoutEvent,
} from '../src/domain/checkout';
import { stub, type Env } from '../src/env';
import { ticket } from '../src/ticket';
import { onHomeShard, reservationStream } from '../src/contract/routing';
import { MAX_RELAY_BATCH } from '../src/contract/relayBatch';
import { pushCheckoutBatch, relaySettings, type RelayTarget } from './relay/push';
import { enqueue, OutboxRelay, type RelayLog } from './relay/outbox';
import { migrateCheckout } from './checkout/schema';
import type { IdempotencyInput } from './sku/idempotency';
import type { Outcome } from '../src/contract/outcome';

export type StartCheckout = { checkoutId: string; customerId: string; lines: CartLine[]; ttlSeconds: number; ttlDefaulted?: true | undefined; requestHash: string };
/** `location`: where the line's units were sourced (absent: not reserved, or a SKU naming none). */
export type CheckoutLineView = CartLine & { reservationId: string | null; state: CheckoutState['lines'][number]['state']; location?: string };
export type CheckoutView = {
  checkoutId: string;
  customerId: string;
  status: CheckoutStatus;
  lines: CheckoutLineView[];
  refusal: CheckoutState['refusal'];
  version: number;
};

/** If a step fails (a SKU object unreachable, an eviction), the alarm resumes the checkout after this. */
const RESUME_AFTER_MS = 2_000;

type EventRow = { version: number; type: string; data: string; at: string };

/**
 * The coordinator of one multi-SKU checkout. Its log (SQLite, append-only) records every step;
 * `nextStep` of the folded state says what is left, so after an eviction or a failed call the
 * alarm resumes it, reserving what is pending or releasing what is held. Each SKU call carries
 * an idempotency scope of (checkout, SKU), so a step repeated after a crash is not done twice; a
 * cancel asks the SKU of a line whose reserve may have committed unrecorded what that scope did.
 * Every SKU call carries the checkout's clock (its own version and the SKU versions it saw), and
 * every event it logs names the SKU event it reports, so consumers joining the SKU and checkout
 * streams can apply them in causal order. The alarm also relays the log to the bridge.
 */
export class Checkout extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  readonly #relay: OutboxRelay;
  #state: CheckoutState | null = null;
  #driving: Promise<void> | null = null;
  /** Whether the run in progress is a buyer's (`#driveForBuyer`). */
  #admitted = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#relay = new OutboxRelay(this.#sql, relaySettings(env, ctx.id.toString()));
    migrateCheckout(this.#sql);
    this.#catchUp();
  }

  /**
   * The state is a fold of the log, nothing else: what a new instance after an eviction starts
   * from. Later, only the events past the folded version are read, never the whole log again.
   */
  #catchUp(): void {
    const after = this.#state?.version ?? 0;
    for (const row of this.#sql.exec<EventRow>('SELECT * FROM events WHERE version > ? ORDER BY version', after)) this.#state = evolveCheckout(this.#state, toEvent(row));
  }

  /** Reserves every line or none; a repeat with the same request answers the same checkout. */
  async start(req: StartCheckout): Promise<Outcome<CheckoutView>> {
    if (this.#state) {
      if (this.#state.requestHash !== req.requestHash) return { ok: false, error: { code: 'idempotency_key_reused' } };
      // Shed before: nothing is held, and this retry starts it again as a new attempt.
      const again = this.#driving ? null : retryShed(this.#state);
      if (again) this.#append(again);
      await this.#driveForBuyer();
      return again ? this.#outcome() : { ...this.#outcome(), replayed: true };
    }
    const { checkoutId, customerId, lines, ttlSeconds, ttlDefaulted, requestHash } = req;
    this.#append({ type: 'CheckoutStarted', data: { checkoutId, customerId, lines, ttlSeconds, ...(ttlDefaulted ? { ttlDefaulted } : {}), requestHash } });
    await this.ctx.storage.setAlarm(Date.now() + RESUME_AFTER_MS);
    await this.#driveForBuyer();
    return this.#outcome();
  }

  view(customerId: string): Outcome<CheckoutView> {
    if (!this.#state || this.#state.customerId !== customerId) return { ok: false, error: { code: 'checkout_not_found' } };
    return { ok: true, value: this.#view() };
  }

  /** Completes (buys) or cancels every line; idempotent. */
  async change(customerId: string, change: 'complete' | 'cancel'): Promise<Outcome<CheckoutView>> {
    if (!this.#state || this.#state.customerId !== customerId) return { ok: false, error: { code: 'checkout_not_found' } };
    const decision = requestChange(this.#state, change);
    if (decision === 'refused') return { ok: false, error: { code: 'checkout_conflict', status: checkoutStatus(this.#state) } };
    if (decision !== 'nothing') {
      this.#append(decision);
      await this.ctx.storage.setAlarm(Date.now() + RESUME_AFTER_MS);
    }
    await this.#drive();
    return { ok: true, value: this.#view() };
  }

  /** The safety net: whatever a failed or evicted run left undone is done now; then the log is relayed. */
  override async alarm(): Promise<void> {
    if (this.#driving) await this.#driving;
    else {
      this.#catchUp();
      if (this.#state && nextStep(this.#state)) await this.#drive();
    }
    await this.#relayLog();
    await this.#rearm();
  }

  /**
   * A run a buyer waits on: its reserves carry admission tickets, so a shed one is answered 503 at
   * once (issue 26). A run the alarm resumes on its own is not stamped: nobody waits to retry it.
   */
  async #driveForBuyer(): Promise<void> {
    this.#admitted = true;
    try {
      await this.#drive();
    } finally {
      this.#admitted = false;
    }
  }

  /** One run at a time: a concurrent caller waits for the run in progress instead of repeating its steps. */
  #drive(): Promise<void> {
    this.#driving ??= this.#run().finally(() => (this.#driving = null));
    return this.#driving;
  }

  async #run(): Promise<void> {
    try {
      for (let step = nextStep(this.#state!); step; step = nextStep(this.#state!)) this.#append(await this.#perform(step));
      await this.#rearm();
    } catch (error) {
      // Left for the alarm: the steps are idempotent, so it repeats the one that failed.
      await this.ctx.storage.setAlarm(Date.now() + RESUME_AFTER_MS);
      console.warn(JSON.stringify({ level: 'warn', checkout: this.#state!.checkoutId, message: 'checkout step failed; resuming later', error: String(error) }));
    }
  }

  async #perform(step: CheckoutStep): Promise<CheckoutEvent> {
    const s = this.#state!;
    const causedBy = stepCause(s);
    const { customerId } = s;
    if (step.type === 'Reserve' || step.type === 'Abandon') {
      const idempotency = reserveScope(s, step);
      // In a buyer's run a reserve carries an admission ticket (issue 26): shed, the checkout fails and releases what it holds.
      // Both reach the customer's home shard, where the line's reserve is (or would be) decided.
      const outcome = await onHomeShard(step.sku, customerId, (stream) =>
        step.type === 'Reserve'
          ? stub(this.env, stream).reserve({ sku: stream, customerId, causedBy, qty: step.qty, ttlSeconds: s.ttlSeconds, ...(s.ttlDefaulted ? { ttlDefaulted: true as const } : {}), region: step.region }, idempotency, this.#admitted ? ticket(this.env) : undefined)
          : stub(this.env, stream).abandonReserve(stream, customerId, idempotency),
      );
      return eventOf(step, step.type === 'Reserve' ? readReserveStep(step.sku, outcome) : readReserve(step.sku, outcome));
    }
    const stream = reservationStream(step.sku, step.reservationId);
    const sku = stub(this.env, stream);
    const reservation = { sku: stream, customerId, causedBy, reservationId: step.reservationId };
    const outcome = step.type === 'Release' ? await sku.cancel(reservation) : await sku.complete(reservation);
    return eventOf(step, readSettle(step.sku, step.reservationId, outcome));
  }

  /** The event and its outbox row in one synchronous transaction: logged means relayed, eventually. */
  #append(event: CheckoutEvent): void {
    const version = (this.#state?.version ?? 0) + 1;
    const now = Date.now();
    this.#sql.exec('INSERT INTO events (version, type, data, at) VALUES (?, ?, ?, ?)', version, event.type, JSON.stringify(event.data), new Date(now).toISOString());
    enqueue(this.#sql, version, now);
    this.#state = evolveCheckout(this.#state, event);
  }

  /** The log to the bridge, a bounded number of batches per run (see `OutboxRelay.run`). */
  async #relayLog(): Promise<void> {
    const checkoutId = this.#state?.checkoutId;
    if (!checkoutId) return;
    const push = (target: RelayTarget) => {
      const rows = this.#sql.exec<EventRow>(
        'SELECT * FROM events WHERE version IN (SELECT version FROM outbox ORDER BY version LIMIT ?) ORDER BY version', MAX_RELAY_BATCH,
      ).toArray();
      return pushCheckoutBatch(target, { checkoutId, events: rows.map((row) => toRecord(checkoutId, row)) }, Date.now());
    };
    await this.#relay.run(push, relayLog(checkoutId));
  }

  /** Wakes for the earlier of: a step left to do, a relay due. Nothing left: no alarm. */
  async #rearm(): Promise<void> {
    const now = Date.now();
    const resumeAt = this.#state && nextStep(this.#state) ? now + RESUME_AFTER_MS : null;
    const relayAt = this.#relay.dueAt(now);
    const at = [resumeAt, relayAt].filter((t): t is number => t !== null);
    if (at.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(...at));
  }

  #outcome(): Outcome<CheckoutView> {
    const refusal = checkoutRefusal(this.#state!);
    return refusal ? { ok: false, error: refusal } : { ok: true, value: this.#view() };
  }

  #view(): CheckoutView {
    const s = this.#state!;
    return {
      checkoutId: s.checkoutId,
      customerId: s.customerId,
      status: checkoutStatus(s),
      lines: s.lines.map(({ sku, qty, region, reservationId, state, location }) => ({ sku, qty, ...(region === undefined ? {} : { region }), reservationId, state, ...(location === null ? {} : { location }) })),
      refusal: s.refusal,
      version: s.version,
    };
  }
}

/**
 * A line's reserve is idempotent by (checkout, SKU): a repeat after a crash answers the first
 * outcome, and an abandon under the same scope learns it (or closes the scope) without reserving.
 */
const reserveScope = (s: CheckoutState, line: { sku: string; qty: number; region?: string }): IdempotencyInput => ({
  // A retried attempt (after a shed step) reserves anew: the earlier attempt's holds were released.
  scope: `checkout\n${s.checkoutId}\n${line.sku}${s.attempt === 0 ? '' : `\n#${s.attempt}`}`,
  // A line without a region hashes as before regions: a checkout in flight across the upgrade repeats its reserve unchanged.
  requestHash: `${s.customerId}\n${line.qty}\n${s.ttlSeconds}${line.region === undefined ? '' : `\n${line.region}`}`,
});

const relayLog = (checkoutId: string): RelayLog => ({ fields: { checkout: checkoutId }, message: 'checkout log push failed' });

/** Read in today's shape whatever version wrote it (the log's rows are unstamped: their shape tells it). */
function toEvent(row: EventRow): CheckoutEvent {
  const read = upcastCheckoutEvent({ type: row.type, data: JSON.parse(row.data) as unknown });
  if (!read.ok) throw new Error(`checkout event v${row.version} cannot be read: ${read.error.message}`);
  return read.value.event;
}

const toRecord = (checkoutId: string, row: EventRow): CheckoutRecord => {
  const event = toEvent(row);
  return { ...event, checkoutId, version: row.version, at: row.at, causedBy: directCause(event) };
};

/** A failure to retry is thrown: the run stops and the alarm repeats the step (it is idempotent). */
function eventOf(step: CheckoutStep, reading: StepReading): CheckoutEvent {
  if (!reading.ok) throw new Error(`${step.type.toLowerCase()} ${step.sku}: ${reading.error.retry}`);
  return reading.value;
}
