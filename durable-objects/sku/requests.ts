import type { VectorClock } from '../../src/domain/core/vectorClock';
import type { Placement, ReservationView, SkuCounters, SkuEvent } from '../../src/domain/sku';
import type { RelayStatus } from '../relay/state';
import type { IdempotencyInput } from './idempotency';
import type { Ticket } from './admission';

/** The SKU object's RPC arguments and answers (the methods are `../Sku.ts`). */
export type ReserveRequest = { sku: string; customerId: string; qty: number; ttlSeconds: number; region?: string | undefined; causedBy?: VectorClock };
export type ReservationRef = { sku: string; reservationId: string; customerId: string; causedBy?: VectorClock };
export type SetStockRequest = { sku: string; onHand: number; limitPerCustomer?: number | null; expectedVersion?: number } & Placement;
export type AdjustStockRequest = { sku: string; delta: number; shards: number; limitPerCustomer: number | null };
export type ReceiveStockRequest = { sku: string; qty: number; expectedVersion?: number; location?: string | undefined };
export type AdminReleaseRequest = { sku: string; reservationId: string; expectedVersion?: number };
/** `location`: where the saga allocated, named after a re-sourcing (a verdict about another location is refused). */
export type ConfirmAllocationRequest = { sku: string; reservationId: string; allocationId: string; causedBy?: VectorClock; location?: string | undefined };
export type FailAllocationRequest = { sku: string; reservationId: string; reason: 'wms_timeout' | 'wms_rejected'; causedBy?: VectorClock; location?: string | undefined };
export type ReservationWithHistory = ReservationView & { history: SkuEvent[] };
export type EventPage = { events: SkuEvent[]; lastVersion: number };
export type SkuRelayStatus = RelayStatus & { sku: string; lastVersion: number };
export type SkuStats = { counters: SkuCounters; outcomes: Record<string, number>; since: string };

/** How the pipeline runs one command: under an idempotency scope, a ticket, and (for a reserve) the units it needs. */
export type RunOptions = { idempotency?: IdempotencyInput | undefined; ticket?: Ticket | undefined; units?: number; customerId?: string };
