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
  /**
   * 'depth': a buyer's request finding `depth` commands (and parked buyers, if `parkedCount`)
   * is answered 503 at once. 'sojourn': the product's rule (durable-objects/sku/admission.ts), a
   * buyer's command that waited more than `maxWaitMs` in the object's queue is answered 503 when
   * it would start, at no service cost; parked buyers have started and are never shed.
   */
  readonly rule: 'depth' | 'sojourn';
  /** Commands waiting or in service beyond which a buyer's request is answered 503 at once. */
  readonly depth: number;
  readonly maxWaitMs: number;
  /** Buyers parked for borrowed units count toward `depth` (they cost no service time until decided). */
  readonly parkedCount: boolean;
  /** Parked buyers beyond which a buyer who would park is answered 503 instead (either rule). */
  readonly parkedCap: number;
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

/**
 * Borrowing options the tail study (tailStudy.ts) tries; the defaults are the protocol as it is.
 * `settle`: the command that decides a shard's parked buyers when units come costs one command
 * per buyer ('per-buyer') or a group-commit batch of them ('batch', one storage transaction).
 * `emptyFanout`: a walk asks at once every sibling it believes empty (hint 0), after the ones
 * believed to hold units (asked `walkFanout` at a time). `hintGossip`: a transfer answer carries
 * the donor's freshest levels of its siblings, and a request its receiver's level.
 * `siblingBatch`: sibling requests (transfers, undrains) queued at an object run together as one
 * group-commit batch, as reserves do (one storage transaction for their subscriptions).
 * `near`: among siblings believed to hold as much, a walk asks first the nearest by round trip
 * ('rtt'), or those in its own region ('region': what the product knows, ADR 0023), then the ring.
 */
export type Borrowing = { readonly settle: 'per-buyer' | 'batch'; readonly emptyFanout: boolean; readonly hintGossip: boolean; readonly siblingBatch: boolean; readonly near?: 'rtt' | 'region' };

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
 * Group commit (ADR 0021), `max` (B) 1: off. `where` 'object' (the product's rule): each request
 * goes alone, and a free object decides the reserves and completes at the front of its queue, at
 * most `max`, as one command (objectGroup.ts). 'worker' (the retired first version): per Worker
 * isolate and object one reserve call in flight; reserves arriving meanwhile queue and leave
 * together, at most `max`, when it returns. Each request lands on a random isolate of `isolates`.
 */
export type GroupCommit = {
  readonly max: number;
  readonly where: 'object' | 'worker';
  readonly isolates: number;
  /**
   * false (ADR 0021): a reserve that must borrow holds its call, and its isolate's lane, until
   * its units come. true: the object answers the call once each reserve is decided or parked, and
   * the Worker awaits each parked one's answer outside the lane (a follow-up call, not charged).
   */
  readonly releaseOnPark: boolean;
};

/** The edge's sold-out memory (ADR 0020): refusals younger than `windowMs`, kept per isolate. */
export type EdgeMemory = { readonly windowMs: number; readonly isolates: number };

export type ReadModel = { readonly flushEveryMs: number; readonly propagationMaxMs: number };

/** The objects in one location stop at `atMs` and serve again, restarted elsewhere, `durationMs` later. */
export type Outage = { readonly atMs: number; readonly durationMs: number; readonly location: number };

/**
 * Regions modelled apart (regions.ts): shard k lives in region k mod R, each buyer reaches an edge
 * in a region drawn from `mix`, and a leg between two regions costs half their round trip on top of
 * the in-region 1–5 ms. `rttMs[i][j]`: round trip between regions i and j (0 on the diagonal).
 */
export type Regions = { readonly names: readonly string[]; readonly mix: readonly number[]; readonly rttMs: readonly (readonly number[])[]; readonly source: string };

/**
 * The edge's failover (issue 25, edgeFailover.ts): a call to a shard that cannot be reached within
 * `connectBoundMs` opens that isolate's breaker for the shard and the request is re-homed at once
 * to the next live shard in another region, in an order fixed by the customer's hash. An open
 * breaker re-homes at once; a background probe every `probeEveryMs` closes it when the shard
 * answers again. Shards skip siblings their own breaker holds dead, and refuse from the stock they
 * can reach: a lost region's units are unsellable until it returns, then announced and sold.
 */
export type FailoverPolicy = {
  readonly connectBoundMs: number;
  readonly probeEveryMs: number;
  /**
   * 'customer': home = hash(customerId) mod N (the product's rule: the limit is exact).
   * 'edge-region' (a what-if): home = one of the shards in the buyer's edge region, by the same
   * hash; the limit is then exact per region only (a customer reaching two regions has two homes).
   */
  readonly homing: 'customer' | 'edge-region';
};

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
  readonly borrowing: Borrowing;
  /** Null: one region (every round trip 1–5 ms). */
  readonly regions: Regions | null;
  /** Null: no failover (a call into a failed location is answered 503 with Retry-After). */
  readonly failover: FailoverPolicy | null;
};
