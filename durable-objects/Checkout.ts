import { DurableObject } from 'cloudflare:workers';
import { checkoutStream } from '../src/domain/core/vectorClock';
import {
  checkoutStatus,
  evolveCheckout,
  nextStep,
  requestChange,
  type CartLine,
  type CheckoutEvent,
  type CheckoutState,
  type CheckoutStatus,
  type CheckoutStep,
} from '../src/domain/checkout';
import type { Env } from '../src/env';
import type { Outcome } from './sku/outcome';

export type StartCheckout = { checkoutId: string; customerId: string; lines: CartLine[]; ttlSeconds: number; requestHash: string };
export type CheckoutLineView = CartLine & { reservationId: string | null; state: CheckoutState['lines'][number]['state'] };
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
/** A refusal that is the cart's fault, not a transient failure: the checkout compensates. */
const REFUSALS = new Set(['insufficient_stock', 'customer_limit', 'sku_not_found', 'invalid_command']);

/**
 * The coordinator of one multi-SKU checkout. Its log (SQLite, append-only) records every step;
 * `nextStep` of the folded state says what is left, so after an eviction or a failed call the
 * alarm resumes it, reserving what is pending or releasing what is held. Each SKU call carries
 * an idempotency scope of (checkout, SKU), so a step repeated after a crash is not done twice.
 */
export class Checkout extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  #state: CheckoutState | null = null;
  #driving: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec('CREATE TABLE IF NOT EXISTS events (version INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL, at TEXT NOT NULL)');
    this.#load();
  }

  /** The state is a fold of the log, nothing else: what a new instance after an eviction starts from. */
  #load(): void {
    this.#state = null;
    for (const row of this.#sql.exec<{ type: string; data: string }>('SELECT type, data FROM events ORDER BY version')) {
      this.#state = evolveCheckout(this.#state, { type: row.type, data: JSON.parse(row.data) } as CheckoutEvent);
    }
  }

  /** Reserves every line or none; a repeat with the same request answers the same checkout. */
  async start(req: StartCheckout): Promise<Outcome<CheckoutView>> {
    if (this.#state) {
      if (this.#state.requestHash !== req.requestHash) return { ok: false, error: { code: 'idempotency_key_reused' } };
      await this.#drive();
      return { ...this.#outcome(), replayed: true };
    }
    const { checkoutId, customerId, lines, ttlSeconds, requestHash } = req;
    this.#append({ type: 'CheckoutStarted', data: { checkoutId, customerId, lines, ttlSeconds, requestHash } });
    await this.ctx.storage.setAlarm(Date.now() + RESUME_AFTER_MS);
    await this.#drive();
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

  /** The safety net: whatever a failed or evicted run left undone is done now. */
  override async alarm(): Promise<void> {
    if (this.#driving) return this.#driving;
    this.#load();
    if (this.#state && nextStep(this.#state)) await this.#drive();
  }

  /** One run at a time: a concurrent caller waits for the run in progress instead of repeating its steps. */
  #drive(): Promise<void> {
    this.#driving ??= this.#run().finally(() => (this.#driving = null));
    return this.#driving;
  }

  async #run(): Promise<void> {
    try {
      for (let step = nextStep(this.#state!); step; step = nextStep(this.#state!)) this.#append(await this.#perform(step));
      await this.ctx.storage.deleteAlarm();
    } catch (error) {
      // Left for the alarm: the steps are idempotent, so it repeats the one that failed.
      await this.ctx.storage.setAlarm(Date.now() + RESUME_AFTER_MS);
      console.warn(JSON.stringify({ level: 'warn', checkout: this.#state!.checkoutId, message: 'checkout step failed; resuming later', error: String(error) }));
    }
  }

  async #perform(step: CheckoutStep): Promise<CheckoutEvent> {
    const s = this.#state!;
    const sku = this.env.SKU.getByName(step.sku);
    const causedBy = { [checkoutStream(s.checkoutId)]: s.version };
    const ref = { sku: step.sku, customerId: s.customerId, causedBy };
    if (step.type === 'Reserve') {
      const outcome = await sku.reserve(
        { ...ref, qty: step.qty, ttlSeconds: s.ttlSeconds },
        { scope: `checkout\n${s.checkoutId}\n${step.sku}`, requestHash: `${s.customerId}\n${step.qty}\n${s.ttlSeconds}` },
      );
      if (outcome.ok) return { type: 'LineReserved', data: { sku: step.sku, reservationId: outcome.value.reservationId, skuVersion: outcome.value.version } };
      const { code, ...details } = outcome.error;
      if (!REFUSALS.has(code)) throw new Error(`reserve ${step.sku}: ${code}`);
      return { type: 'LineRefused', data: { sku: step.sku, code, details } };
    }
    const reservation = { ...ref, reservationId: step.reservationId };
    const outcome = step.type === 'Release' ? await sku.cancel(reservation) : await sku.complete(reservation);
    // Bought on its own (the buyer used the reservation id): it stays sold, and is recorded so.
    if ((outcome.ok && outcome.value.status === 'completed') || (!outcome.ok && outcome.error.code === 'reservation_completed')) {
      return { type: 'LineCompleted', data: { sku: step.sku } };
    }
    // Already released (expired, say) or gone: nothing is held either way.
    const nothingHeld = ['reservation_released', 'reservation_expired', 'reservation_not_found'];
    if (outcome.ok || nothingHeld.includes(outcome.error.code)) return { type: 'LineReleased', data: { sku: step.sku } };
    throw new Error(`${step.type.toLowerCase()} ${step.sku}: ${outcome.error.code}`);
  }

  #append(event: CheckoutEvent): void {
    const version = (this.#state?.version ?? 0) + 1;
    this.#sql.exec('INSERT INTO events (version, type, data, at) VALUES (?, ?, ?, ?)', version, event.type, JSON.stringify(event.data), new Date().toISOString());
    this.#state = evolveCheckout(this.#state, event);
  }

  #outcome(): Outcome<CheckoutView> {
    const s = this.#state!;
    if (checkoutStatus(s) === 'failed' && s.refusal) {
      const { sku, code, details } = s.refusal;
      return { ok: false, error: { code: 'checkout_refused', checkoutId: s.checkoutId, sku, reason: code, details } };
    }
    return { ok: true, value: this.#view() };
  }

  #view(): CheckoutView {
    const s = this.#state!;
    return {
      checkoutId: s.checkoutId,
      customerId: s.customerId,
      status: checkoutStatus(s),
      lines: s.lines.map(({ sku, qty, reservationId, state }) => ({ sku, qty, reservationId, state })),
      refusal: s.refusal,
      version: s.version,
    };
  }
}
