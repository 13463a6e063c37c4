import { checkoutStream, mergeClocks, skuStream, type VectorClock } from '../core/vectorClock';
import { streamOf } from '../sku/shards';
import type { CartLine } from './cart';
import type { CheckoutEvent } from './events';

/*
 * A multi-SKU checkout, reserved line by line across SKU objects (there is no transaction across
 * them), then completed or cancelled as a whole. Its own log is the saga's memory: whatever
 * was done before an eviction is in it, and `nextStep` says what is left, so the coordinator
 * resumes or compensates from it.
 */

export type LineState = 'pending' | 'held' | 'refused' | 'released' | 'completed';
/** `location`: where the line's units were sourced when reserved (null: not reserved, or a SKU naming none). */
export type CheckoutLineState = CartLine & { reservationId: string | null; state: LineState; skuVersion: number | null; location: string | null };

export type CheckoutState = {
  checkoutId: string;
  customerId: string;
  ttlSeconds: number;
  /** The buyer asked no hold time: each SKU's policy may hold its lines its own default (issue 26). */
  ttlDefaulted: boolean;
  /** How many times a shed checkout was started again (issue 26): its lines' reserves are scoped by it. */
  attempt: number;
  requestHash: string;
  version: number;
  intent: 'reserve' | 'complete' | 'cancel';
  lines: CheckoutLineState[];
  refusal: { sku: string; code: string; details: Record<string, unknown> } | null;
  /**
   * The line whose reserve may have reached its SKU unrecorded when the buyer cancelled: the walk
   * reserves one line at a time, in order, so only the first pending line can have been sent, and
   * a call that failed after the SKU committed leaves its units held with no id in this log.
   */
  unrecorded: string | null;
  /** The newest version of each SKU stream this checkout has seen: what its next steps depend on. */
  clock: VectorClock;
};

export type CheckoutStatus = 'reserving' | 'reserved' | 'compensating' | 'failed' | 'completing' | 'completed' | 'cancelling' | 'cancelled';

export type CheckoutStep =
  /** `region`: the line's, handed to the SKU object's sourcing. */
  | { type: 'Reserve'; sku: string; qty: number; region?: string }
  | { type: 'Release'; sku: string; reservationId: string }
  | { type: 'Complete'; sku: string; reservationId: string }
  /** Ask the SKU what the line's reserve did (its idempotency scope), and close that scope: never reserve anew. */
  | { type: 'Abandon'; sku: string; qty: number };

export function evolveCheckout(state: CheckoutState | null, event: CheckoutEvent): CheckoutState {
  if (event.type === 'CheckoutStarted') {
    const { checkoutId, customerId, lines, ttlSeconds, ttlDefaulted, requestHash } = event.data;
    return {
      checkoutId, customerId, ttlSeconds, ttlDefaulted: ttlDefaulted === true, attempt: 0, requestHash, version: 1, intent: 'reserve', refusal: null, unrecorded: null, clock: {},
      lines: lines.map((l) => ({ ...l, reservationId: null, state: 'pending', skuVersion: null, location: null })),
    };
  }
  const s = { ...state!, version: state!.version + 1, clock: mergeClocks(state!.clock, directCause(event)) };
  const line = (sku: string, change: Partial<CheckoutLineState>) => s.lines.map((l) => (l.sku === sku ? { ...l, ...change } : l));
  switch (event.type) {
    case 'LineReserved':
      return { ...s, lines: line(event.data.sku, { state: 'held', reservationId: event.data.reservationId, skuVersion: event.data.skuVersion, location: event.data.location ?? null }) };
    case 'LineRefused':
      return { ...s, lines: line(event.data.sku, { state: 'refused' }), refusal: event.data };
    case 'LineReleased':
      return { ...s, lines: line(event.data.sku, { state: 'released' }) };
    case 'LineCompleted':
      return { ...s, lines: line(event.data.sku, { state: 'completed' }) };
    case 'CompletionRequested':
      return { ...s, intent: 'complete' };
    case 'CheckoutRetried':
      return { ...s, attempt: event.data.attempt, intent: 'reserve', refusal: null, unrecorded: null, lines: s.lines.map((l) => ({ ...l, reservationId: null, state: 'pending', skuVersion: null, location: null })) };
    case 'CancellationRequested':
      // After a refusal the walk stopped at the refused line: nothing after it was sent.
      return { ...s, intent: 'cancel', unrecorded: s.refusal ? null : (s.lines.find((l) => l.state === 'pending')?.sku ?? null) };
  }
}

export function checkoutStatus(s: CheckoutState): CheckoutStatus {
  const held = s.lines.some((l) => l.state === 'held');
  if (s.intent === 'cancel') return held || toAbandon(s) ? 'cancelling' : 'cancelled';
  if (s.intent === 'complete') return held ? 'completing' : 'completed';
  if (s.refusal) return held ? 'compensating' : 'failed';
  return s.lines.every((l) => l.state === 'held') ? 'reserved' : 'reserving';
}

/** What the coordinator must do next, or null when the checkout is at rest. One step at a time, in line order. */
export function nextStep(s: CheckoutState): CheckoutStep | null {
  const held = s.lines.find((l) => l.state === 'held');
  if (s.intent === 'complete') return held ? { type: 'Complete', sku: held.sku, reservationId: held.reservationId! } : null;
  if (s.intent === 'cancel' || s.refusal) {
    if (held) return { type: 'Release', sku: held.sku, reservationId: held.reservationId! };
    const unrecorded = toAbandon(s);
    return unrecorded ? { type: 'Abandon', sku: unrecorded.sku, qty: unrecorded.qty } : null;
  }
  const pending = s.lines.find((l) => l.state === 'pending');
  return pending ? { type: 'Reserve', sku: pending.sku, qty: pending.qty, ...(pending.region === undefined ? {} : { region: pending.region }) } : null;
}

/** The line that may hold units unknown to this log, while it is still pending (its SKU not asked yet). */
const toAbandon = (s: CheckoutState): CheckoutLineState | null => s.lines.find((l) => l.sku === s.unrecorded && l.state === 'pending') ?? null;

/**
 * A checkout that failed because one of its steps was shed (admission control, issue 26) holds
 * nothing; the buyer's retry under the same key starts it again, as a new attempt. Null otherwise.
 */
export function retryShed(s: CheckoutState): CheckoutEvent | null {
  return checkoutStatus(s) === 'failed' && s.refusal?.code === 'overloaded' ? { type: 'CheckoutRetried', data: { attempt: s.attempt + 1 } } : null;
}

/** Whether a buyer's request applies now: complete only a reserved checkout; cancel anything not over. */
export function requestChange(s: CheckoutState, change: 'complete' | 'cancel'): CheckoutEvent | 'nothing' | 'refused' {
  const status = checkoutStatus(s);
  if (change === 'complete') {
    if (status === 'completed' || status === 'completing') return 'nothing';
    return status === 'reserved' ? { type: 'CompletionRequested', data: {} } : 'refused';
  }
  // A checkout failed only because a step was shed is retried by the buyer's next start: cancelled, it must not be.
  if (status === 'failed' && s.refusal?.code === 'overloaded') return { type: 'CancellationRequested', data: {} };
  if (status === 'cancelled' || status === 'cancelling' || status === 'failed') return 'nothing';
  return status === 'completed' || status === 'completing' ? 'refused' : { type: 'CancellationRequested', data: {} };
}

/** The SKU event a checkout event reports, as a clock: what a joined view must apply before it. */
export function directCause(event: CheckoutEvent): VectorClock {
  switch (event.type) {
    case 'LineReserved':
    case 'LineReleased':
    case 'LineCompleted':
      return event.data.skuVersion === null ? {} : { [skuStream(streamOf(event.data.sku, event.data.shard ?? 0))]: event.data.skuVersion };
    default:
      return {};
  }
}

/** The causal context of a step the checkout takes now: its own stream and every SKU version it saw. */
export const stepCause = (s: CheckoutState): VectorClock => ({ ...s.clock, [checkoutStream(s.checkoutId)]: s.version });
