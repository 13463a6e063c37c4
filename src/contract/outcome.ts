import type { Result } from '../domain/core/result';
import type { ShardRegions, SkuError } from '../domain/sku';
import type { Overloaded } from './admission';

/** Refusals that come from an object's adapter rather than from the business rules. */
export type AdapterError =
  | { code: 'idempotency_key_reused' }
  /** A checkout line's reserve arriving after its checkout abandoned the line (see `Sku.abandonReserve` in durable-objects). */
  | { code: 'reservation_abandoned' }
  | { code: 'checkout_not_found' }
  | { code: 'checkout_conflict'; status: string }
  | { code: 'checkout_refused'; checkoutId: string; sku: string; reason: string; details: Record<string, unknown> }
  /** A reserve reached a shard that is not the customer's home under the layout `shards` (the edge retries). */
  | { code: 'wrong_shard'; shards: number; shardRegions?: ShardRegions }
  /** Shed by admission control: the command queued too long and was not run (see `durable-objects/sku/admission.ts`). */
  | Overloaded;

export type CommandError = SkuError | AdapterError;

/** What every RPC method answers; `replayed` marks a stored outcome returned again. */
export type Outcome<T> = Result<T, CommandError> & { replayed?: true };
