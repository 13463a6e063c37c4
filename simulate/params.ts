import type { LogNormal } from './lognormal';
import type { BatchCost, ServiceTime } from './serviceTime';

/** What a command costs on an object's single thread (milliseconds). */
export type ServiceProfile = {
  readonly name: string;
  /** One command: a reservation, a completion, either side of a transfer, an undrain, a projection flush. */
  readonly command: ServiceTime;
  /** A group-commit batch of n reserves costs one command's time × batchFactor(batch, n). */
  readonly batch: BatchCost;
  /** One expired hold released by the TTL alarm. */
  readonly expiryMs: number;
  readonly source: string;
};

export type Network = {
  /** Round trip Worker → object and object → object, drawn uniformly in [min, max]. */
  readonly rttMinMs: number;
  readonly rttMaxMs: number;
};

export type Admission = {
  /** Commands waiting or in service beyond which a buyer's request is answered 503 at once. */
  readonly depth: number;
  /** The Retry-After decided for a shed request, before the Worker spreads it over [s, 2s] per request. */
  readonly retryAfterOverloadedMs: number;
  /** Retry-After when the object's location is unreachable (it restarts elsewhere). */
  readonly retryAfterUnavailableMs: number;
  /** Retries of one request (same Idempotency-Key) before the buyer gives up. */
  readonly retryBudget: number;
};

export type Failure = {
  /** How long the Worker's call to an object in a failed location takes to fail. */
  readonly detectMs: number;
  /** How long a shard waits for a sibling's answer (a healthy one answers within milliseconds). */
  readonly siblingTimeoutMs: number;
  /** How long a shard skips a sibling whose call failed before trying it again. */
  readonly suspectMs: number;
};

/** Arrival density: a linear ramp to a peak, then exponential decay, cut off at the window's end. */
export type ArrivalCurve = { readonly rampMs: number; readonly decayMs: number; readonly windowMs: number };

export type Buyers = {
  readonly count: number;
  readonly arrival: ArrivalCurve;
  readonly qty2Share: number;
  /** Buyers who reserve once more (qty 1) right after their first success: they meet limitPerCustomer. */
  readonly repeatShare: number;
  /** Reservations completed; the rest are abandoned and expire at the TTL. */
  readonly completeShare: number;
  readonly checkout: LogNormal;
  /** Refused buyers (and those whose view showed sold out) who keep polling the view and try again. */
  readonly watchShare: number;
  readonly watchEveryMs: number;
  readonly watchJitterMs: number;
  readonly watchForMs: number;
  /** A request without an answer after this long is a failure the buyer cannot explain. */
  readonly clientTimeoutMs: number;
};

export type SkuSpec = { readonly stock: number; readonly shards: number; readonly weight: number; readonly limitPerCustomer: number };

export type Holds = { readonly ttlMs: number; readonly alarmChunk: number };

/**
 * Group commit (ADR 0021): per Worker isolate and object, one reserve call in flight; reserves
 * arriving meanwhile queue and leave together, at most `max`, when it returns. `max` 1 sends each
 * reserve alone (no group commit). Each request lands on a random isolate of `isolates`.
 */
export type GroupCommit = { readonly max: number; readonly isolates: number };

/** The edge's sold-out memory (ADR 0020): refusals younger than `windowMs`, kept per isolate. */
export type EdgeMemory = { readonly windowMs: number; readonly isolates: number };

export type ReadModel = { readonly flushEveryMs: number; readonly propagationMaxMs: number };

/** The objects in one location stop at `atMs` and serve again, restarted elsewhere, `durationMs` later. */
export type Outage = { readonly atMs: number; readonly durationMs: number; readonly location: number };

export type Scenario = {
  readonly name: string;
  readonly seed: number;
  readonly profile: ServiceProfile;
  readonly skus: readonly SkuSpec[];
  readonly buyers: Buyers;
  readonly admission: Admission;
  readonly network: Network;
  readonly failure: Failure;
  readonly holds: Holds;
  readonly readModel: ReadModel;
  /** Shard i of a SKU lives in location i mod locations. */
  readonly locations: number;
  readonly outage: Outage | null;
  /** Null: every reserve goes to an object (the edge remembers nothing). */
  readonly edge: EdgeMemory | null;
  readonly groupCommit: GroupCommit;
  /** Transfer requests a borrowing walk keeps out at once: 1 asks one sibling after another; Infinity, all. */
  readonly walkFanout: number;
};
