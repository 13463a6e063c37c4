import type { VectorClock } from '../../src/domain/core/vectorClock';
import type { AdjustLocation, AdjustStock, AdminCause, ApplyMovement, ConfirmAllocation, FailAllocation, Placement, ReservationView, FailoverLimits, ShardRegions, SkuCounters, SkuEvent } from '../../src/domain/sku';
import type { RelayStatus } from '../relay/state';
export type { MovementResult } from '../../src/contract/movements';
import type { IdempotencyInput } from './idempotency';
import type { Ticket } from './admission';
import type { Outcome } from '../../src/contract/outcome';

/** The SKU object's RPC arguments and answers (the methods are `../Sku.ts`). */
/** `rehomedFrom`: sent by the edge to a sibling while the customer's home shard is unreachable (ADR 0022). */
/** `ttlDefaulted`: the caller asked no hold time (`ttlSeconds` is the edge's default): the SKU's sale policy may hold its own. */
export type ReserveRequest = { sku: string; customerId: string; qty: number; ttlSeconds: number; ttlDefaulted?: true | undefined; region?: string | undefined; rehomedFrom?: number | undefined; causedBy?: VectorClock };
/** One reserve of a group commit (`groupCommit.ts`), and its answer: an outcome, or the message of what it threw. */
/**
 * `walked`: it went to its siblings for units first, and joins a group with what the walk brought;
 * `final`: its last walk outside the queue; short again, it runs alone (`walkedReserve.ts`).
 */
export type ReserveCall = { req: ReserveRequest; idempotency: IdempotencyInput; ticket?: Ticket | undefined; walked?: true; final?: true };
/** `walkAgain`: a walked reserve whose units were lent on meanwhile, sent back to walk outside the group. */
export type BatchAnswer = { outcome: Outcome<ReservationView> } | { thrown: string } | { walkAgain: true };
export type ReservationRef = { sku: string; reservationId: string; customerId: string; causedBy?: VectorClock };
/** A complete or a cancel of a group commit: no idempotency record (each is idempotent by its reservation's state). */
export type SettleCall = { settle: 'complete' | 'cancel'; ref: ReservationRef; ticket?: Ticket | undefined };
/** What a group decides in order: reserves, completes and cancels, each answered as alone. */
export type GroupCall = ReserveCall | SettleCall;
/** `cause`: the admin key that changed stock by hand (its id), recorded on the event. */
/** `shardRegions` is refused here (an unsharded SKU): a sharded SKU's shards take theirs with `AdjustStockRequest`. */
export type SetStockRequest = { sku: string; onHand: number; limitPerCustomer?: number | null; shardRegions?: ShardRegions | undefined; failoverLimits?: FailoverLimits | undefined; expectedVersion?: number; cause?: AdminCause | undefined } & Placement;
export type AdjustStockRequest = AdjustStock['data'];
export type ReceiveStockRequest = { sku: string; qty: number; expectedVersion?: number; location?: string | undefined; cause?: AdminCause | undefined };
export type AdminReleaseRequest = { sku: string; reservationId: string; expectedVersion?: number; cause?: AdminCause | undefined };
/** A warehouse document for the SKU (the bridge's feed), as the domain takes it. */
export type MovementRequest = ApplyMovement['data'];
/** A repair by reconcile; `keyId` is the admin key's id. */
export type AdjustLocationRequest = AdjustLocation['data'];
/** `location`, `resourcings`: where the saga allocated, after how many re-sourcings (a stale verdict is refused). */
export type ConfirmAllocationRequest = ConfirmAllocation['data'] & { sku: string; causedBy?: VectorClock };
export type FailAllocationRequest = FailAllocation['data'] & { sku: string; causedBy?: VectorClock };
export type ReservationWithHistory = ReservationView & { history: SkuEvent[] };
export type EventPage = { events: SkuEvent[]; lastVersion: number };
export type SkuRelayStatus = RelayStatus & { sku: string; lastVersion: number };
/** `hoarding`: the customers holding most units here now (top 5), and the units ever let expire unbought here (issue 26). */
export type Hoarding = { topHolders: { customerId: string; units: number }[]; expiredUnits: number };
export type SkuStats = { counters: SkuCounters; outcomes: Record<string, number>; since: string; hoarding: Hoarding };

/** How the pipeline runs one command: under an idempotency scope, a ticket, and (for a reserve) the units it needs. */
export type RunOptions = { idempotency?: IdempotencyInput | undefined; ticket?: Ticket | undefined; units?: number; customerId?: string; region?: string | undefined; rehomed?: boolean };
/** How a command commits: under an idempotency record, and with what else its transaction writes. */
export type CommitOptions<T> = { idempotency?: IdempotencyInput | undefined; alsoWrite?: ((presented: T) => void) | undefined };
