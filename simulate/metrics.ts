import type { AttemptRecord } from './attempts';
import { Trace } from './trace';

export { percentile } from './percentile';

/** Counters and latencies one run collects; the shards, Worker and buyers add to them. */
export class Metrics {
  /** Where each final answer spent its time (the tail report). */
  readonly trace = new Trace();
  buyers = 0;
  /** Reservation requests sent by buyers, retries included. */
  reserveRequests = 0;
  completeRequests = 0;
  accepted = 0;
  replayed = 0;
  insufficientStock = 0;
  customerLimit = 0;
  overloaded = 0;
  unavailable = 0;
  gaveUp = 0;
  /** Requests the buyer stopped waiting for: the only unexplained failures in the model. */
  timedOut = 0;
  sawSoldOut = 0;
  watchers = 0;
  completed = 0;
  completedAfterExpiry = 0;
  expiredHolds = 0;
  walks = 0;
  visits = 0;
  transfers = 0;
  unitsMoved = 0;
  /** Transfers answered after their walk had what it needed (several siblings asked at once), and their units. */
  lateTransfers = 0;
  lateUnits = 0;
  undrains = 0;
  commands = 0;
  maxDepth = 0;
  /** Reserve calls from the Worker to objects, and the reserves they carried (group commit: several per call). */
  reserveCalls = 0;
  reservesInCalls = 0;
  maxReservesInCall = 0;
  /** Group commit inside the object: groups decided and the reserves and completes in them. */
  groups = 0;
  groupedCommands = 0;
  maxGroup = 0;
  /** First send to 201, retries included: accepted reservations. */
  readonly latencies: number[] = [];
  /** First send to the final answer (201 or 409), retries included: every reservation request decided. */
  readonly answerLatencies: number[] = [];
  /** First send to a final refusal (409: stock or limit), retries included. */
  readonly refusedLatencies: number[] = [];
  /** Reserves refused by the Worker from its sold-out memory, without an object call (ADR 0020). */
  edgeRefusals = 0;
  /** Every buyer attempt, reserve or complete, for honest availability (attempts.ts). */
  readonly attempts: AttemptRecord[] = [];
  /** The edge's failover: breakers opened, reserve calls sent to a shard other than the customer's home. */
  readonly failover = { trips: 0, rehomed: 0 };
  /** Units the failed location's shards held (sellable or pending) when they came back. */
  returnedUnits = 0;
  private readonly decisionsPerSecond: number[] = [];

  reserveCall(reserves: number): void {
    this.reserveCalls++;
    this.reservesInCalls += reserves;
    this.maxReservesInCall = Math.max(this.maxReservesInCall, reserves);
  }

  group(commands: number): void {
    this.groups++;
    this.groupedCommands += commands;
    this.maxGroup = Math.max(this.maxGroup, commands);
  }

  /** A reservation decided (granted or refused) at `now`: for the shards' throughput. */
  decided(now: number): void {
    const second = Math.floor(now / 1000);
    this.decisionsPerSecond[second] = (this.decisionsPerSecond[second] ?? 0) + 1;
  }

  peakDecisionsPerSecond(): number {
    let peak = 0;
    for (const n of this.decisionsPerSecond) if (n !== undefined && n > peak) peak = n;
    return peak;
  }
}
