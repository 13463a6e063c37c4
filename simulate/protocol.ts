/** A held, completed or released reservation: a row of the shard's reservations table. */
export type Reservation = {
  readonly id: number;
  readonly customer: number;
  readonly qty: number;
  readonly expiresAt: number;
  state: 'held' | 'completed' | 'released';
};

export type ReserveRequest = { readonly kind: 'reserve'; readonly key: number; readonly customer: number; readonly qty: number };
export type CompleteRequest = { readonly kind: 'complete'; readonly key: number; readonly reservation: Reservation };
export type Request = ReserveRequest | CompleteRequest;

/** What the Worker answers a buyer: 201, 409, or 503 with Retry-After. */
export type Answer =
  | { readonly code: 'reserved'; readonly reservation: Reservation; readonly replayed: boolean }
  | { readonly code: 'completed' | 'reservation_expired' | 'insufficient_stock' | 'customer_limit' }
  | { readonly code: 'overloaded' | 'unavailable' };

export const OVERLOADED: Answer = { code: 'overloaded' };
export const UNAVAILABLE: Answer = { code: 'unavailable' };

export type Reply = (answer: Answer) => void;

/**
 * One unit of work on an object's single thread. `start` returns its service time (it may read
 * state: what an alarm run will release), `run` commits it at the end of that time, and `lost`
 * tells its sender when the object failed before committing it. `weight`: the commands it counts
 * as for admission control (a group-commit batch counts its reserves); 1 when absent.
 */
export type Command = {
  start(): number;
  run(): void;
  lost(): void;
  readonly weight?: number;
  /** A sibling's transfer request or undrain: with borrowing.siblingBatch, queued ones run together as one batch. */
  readonly sibling?: boolean;
  /** A reserve or complete, which the object may decide in a group (objectGroup.ts): traces its wait when it starts. */
  readonly join?: () => void;
  /** A buyer's command under the sojourn rule: false when it waited too long (it has answered 503; it is dropped, costing nothing). */
  admit?(): boolean;
};
