import type { VectorClock } from '../core/vectorClock';

type Command<T extends string, D> = { type: T; data: D; causedBy?: VectorClock };

export type SetStock = Command<
  'SetStock',
  { sku: string; onHand: number; limitPerCustomer?: number | null; expectedVersion?: number }
>;
export type ReceiveStock = Command<'ReceiveStock', { sku: string; qty: number; expectedVersion?: number }>;
export type Reserve = Command<
  'Reserve',
  { sku: string; reservationId: string; customerId: string; qty: number; ttlSeconds: number }
>;
export type CompletePurchase = Command<'CompletePurchase', { reservationId: string; customerId: string }>;
export type CancelReservation = Command<'CancelReservation', { reservationId: string; customerId: string }>;
export type ExpireReservation = Command<'ExpireReservation', { reservationId: string }>;
export type AdminRelease = Command<'AdminRelease', { reservationId: string; expectedVersion?: number }>;
export type ConfirmAllocation = Command<'ConfirmAllocation', { reservationId: string; allocationId: string }>;
export type FailAllocation = Command<
  'FailAllocation',
  { reservationId: string; reason: 'wms_timeout' | 'wms_rejected' }
>;

export type SkuCommand =
  | SetStock
  | ReceiveStock
  | Reserve
  | CompletePurchase
  | CancelReservation
  | ExpireReservation
  | AdminRelease
  | ConfirmAllocation
  | FailAllocation;
