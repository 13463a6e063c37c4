import { err } from '../../src/domain/core/result';
import { misrouted, type SkuState } from '../../src/domain/sku';
import type { Outcome } from '../../src/contract/outcome';
import { admit, type Ticket } from './admission';
import { replay, type IdempotencyInput } from './idempotency';

const STRICT_LIMITS = { code: 'overloaded', retryAfterSeconds: 5 } as const;

/** What decides whether a command is screened: its ticket, its idempotency scope, the customer it reserves for. */
/** `rehomed`: the edge sent the customer here because their home shard is unreachable (ADR 0022). */
export type Screening = { idempotency?: IdempotencyInput | undefined; ticket?: Ticket | undefined; customerId?: string | undefined; rehomed?: boolean };

/**
 * The answer a command gets without being decided, or null: the outcome stored under its key;
 * shed (queued past its ticket's bound, before anything is written, so a retry under the same key
 * is decided anew); or `wrong_shard` for a customer whose home is another shard.
 */
export function screen<T>(sql: SqlStorage, state: SkuState, now: number, { idempotency, ticket, customerId, rehomed }: Screening): Outcome<T> | null {
  // A request decided before (its answer lost on the way) gets its answer even when it queued too
  // long now: shed, a checkout's step would take a hold it made for a refusal and leak it.
  const stored = idempotency ? replay<T>(sql, idempotency) : null;
  if (stored) return stored;
  const shed = admit(ticket, now);
  if (shed) return err(shed);
  // After the replay: a request decided here before the layout grew still gets its answer.
  const wrongShard = customerId === undefined || rehomed ? null : misrouted(state, customerId);
  if (wrongShard) return err(wrongShard);
  // A strict SKU keeps its limit exact: a re-homed customer comes back once their home answers (ADR 0022).
  return rehomed && state.failoverLimits === 'strict' && state.limitPerCustomer !== null ? err(STRICT_LIMITS) : null;
}
