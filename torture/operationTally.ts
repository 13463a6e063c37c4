import { AVAILABILITY_BOUND_MS, availabilityOf, isDefinitive, tallyAvailability, type Attempt, type AvailabilityTally } from '../src/contract/availability';

/**
 * Honest availability (definitive-answer-in-time) of the torture run, operation by operation:
 * one operation is the storefront client's `send`, from its first request to its final answer
 * across its retries with the same Idempotency-Key. A request answered 503 and retried into a 201
 * is one operation, available only if the 201 came within the bound of the first request.
 */

/** One try of an operation: when it ended, and its status and error code (status null: no answer, a timeout or a cut). */
export type Try = { readonly atMs: number; readonly status: number | null; readonly code?: string | null };

/** The operation as the buyer lived it: only its final try decides, the client stops at the first answer below 500. */
export function attemptOf(startedMs: number, tries: readonly Try[]): Attempt {
  const last = tries.at(-1);
  if (!last) return { startedMs, endedMs: startedMs, definitive: false };
  return { startedMs, endedMs: last.atMs, definitive: last.status !== null && isDefinitive(last.status, last.code) };
}

/** The error code of an answer's body (`{ error: { code } }`), if it has one. */
export const codeOf = (body: unknown): string | null => {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : null;
};

/** A deliberate fault, from when it was fired until it was over (an edge restart: the runtime back). */
export type FaultWindow = { readonly kind: string; readonly fromMs: number; readonly toMs: number };

export const overlaps = (a: Attempt, w: FaultWindow): boolean => a.startedMs <= w.toMs && a.endedMs >= w.fromMs;

/** A part's tally, its share available, and how long its operations took (first request to final answer, ms). */
export type AvailabilityPart = AvailabilityTally & { availability: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null };

export type HonestAvailability = {
  boundMs: number;
  overall: AvailabilityPart;
  /** Operations that overlapped any deliberate fault's window. */
  duringFaults: AvailabilityPart;
  outsideFaults: AvailabilityPart;
  /** By fault kind: the operations overlapping any window of that kind (one may count under several). */
  byFault: Record<string, AvailabilityPart>;
};

const part = (attempts: readonly Attempt[], boundMs: number): AvailabilityPart => {
  const tally = tallyAvailability(attempts, boundMs);
  const took = attempts.map((a) => a.endedMs - a.startedMs).sort((x, y) => x - y);
  const at = (q: number) => (took.length === 0 ? null : took[Math.min(took.length - 1, Math.ceil(q * took.length) - 1)]!);
  return { ...tally, availability: availabilityOf(tally), p50Ms: at(0.5), p99Ms: at(0.99), maxMs: took.at(-1) ?? null };
};

export function honestAvailability(attempts: readonly Attempt[], windows: readonly FaultWindow[], boundMs = AVAILABILITY_BOUND_MS): HonestAvailability {
  const during = attempts.filter((a) => windows.some((w) => overlaps(a, w)));
  const outside = attempts.filter((a) => !windows.some((w) => overlaps(a, w)));
  const kinds = [...new Set(windows.map((w) => w.kind))];
  const byFault = Object.fromEntries(kinds.map((kind) => [kind, part(attempts.filter((a) => windows.some((w) => w.kind === kind && overlaps(a, w))), boundMs)]));
  return { boundMs, overall: part(attempts, boundMs), duringFaults: part(during, boundMs), outsideFaults: part(outside, boundMs), byFault };
}
