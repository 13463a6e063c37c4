import { err, ok, type Result } from '../core/result';
import { shardOfReservation } from '../sku/shards';
import { checkoutStatus, type CheckoutState } from './checkout';
import type { CheckoutEvent } from './events';

/*
 * How the checkout reads its SKU objects' answers: which answer records which line event, and
 * which is a passing failure the coordinator retries (the steps are idempotent). The coordinator
 * only makes the calls; the reading is the business rule, so it is specified here, without I/O.
 */

/** A SKU object's answer as the checkout sees it: a value, or a refusal with its code and details. */
export type SkuAnswer<T> = Result<T, { code: string }>;

/** What a step learnt: the event to log, or a failure to retry later (its code). */
export type StepReading = Result<CheckoutEvent, { retry: string }>;

/** A refusal that is the cart's fault, not a transient failure: the checkout compensates. */
const REFUSALS = new Set(['insufficient_stock', 'customer_limit', 'sale_not_started', 'qty_over_maximum', 'sku_not_found', 'invalid_command']);

/** Already released (expired, say) or gone: nothing is held either way. */
const NOTHING_HELD = new Set(['reservation_released', 'reservation_expired', 'reservation_not_found']);

/** A line event names its reservation's shard when it is not the SKU's own stream. */
function shardField(reservationId: string): { shard?: number } {
  const shard = shardOfReservation(reservationId);
  return shard === 0 ? {} : { shard };
}

/** The answer to a line's reserve, or to its abandon (which answers what the reserve did). */
export function readReserve(sku: string, answer: SkuAnswer<{ reservationId: string; version: number; location?: string }>): StepReading {
  if (answer.ok) {
    const { reservationId, version, location } = answer.value;
    return ok({ type: 'LineReserved', data: { sku, reservationId, skuVersion: version, ...shardField(reservationId), ...(location === undefined ? {} : { location }) } });
  }
  const { code, ...details } = answer.error;
  // The reserve never ran and now never will: nothing is held for the line, as for a released one.
  if (code === 'reservation_abandoned') return ok({ type: 'LineReleased', data: { sku, skuVersion: null } });
  if (!REFUSALS.has(code)) return err({ retry: code });
  return ok({ type: 'LineRefused', data: { sku, code, details } });
}

/**
 * The answer to a line's reserve sent with an admission ticket: a shed one (`overloaded`) fails the
 * checkout like a refusal, so that it releases what it holds and the buyer is told to come back
 * (issue 26), rather than holding lines while it retries by itself.
 */
export function readReserveStep(sku: string, answer: SkuAnswer<{ reservationId: string; version: number; location?: string }>): StepReading {
  if (answer.ok || answer.error.code !== 'overloaded') return readReserve(sku, answer);
  const { code, ...details } = answer.error;
  return ok({ type: 'LineRefused', data: { sku, code, details } });
}

/** The answer to a held line's release or completion. */
export function readSettle(sku: string, reservationId: string, answer: SkuAnswer<{ status: string; version: number }>): StepReading {
  const shard = shardField(reservationId);
  const skuVersion = answer.ok ? answer.value.version : null;
  // Bought on its own (the buyer used the reservation id): it stays sold, and is recorded so.
  if ((answer.ok && answer.value.status === 'completed') || (!answer.ok && answer.error.code === 'reservation_completed')) {
    return ok({ type: 'LineCompleted', data: { sku, skuVersion, ...shard } });
  }
  if (answer.ok || NOTHING_HELD.has(answer.error.code)) return ok({ type: 'LineReleased', data: { sku, skuVersion, ...shard } });
  return err({ retry: answer.error.code });
}

export type CheckoutRefused = { code: 'checkout_refused'; checkoutId: string; sku: string; reason: string; details: Record<string, unknown> };

/**
 * What the buyer is told of a checkout that failed on a refused line — or, on a shed one, to come
 * back (503 with Retry-After; the retry starts it again); null while it has not failed.
 */
export function checkoutRefusal(s: CheckoutState): CheckoutRefused | { code: 'overloaded'; retryAfterSeconds: number } | null {
  if (checkoutStatus(s) !== 'failed' || !s.refusal) return null;
  const { sku, code, details } = s.refusal;
  if (code === 'overloaded') return { code, retryAfterSeconds: typeof details.retryAfterSeconds === 'number' ? details.retryAfterSeconds : 1 };
  return { code: 'checkout_refused', checkoutId: s.checkoutId, sku, reason: code, details };
}
