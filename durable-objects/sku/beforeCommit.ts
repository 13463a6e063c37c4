import { err } from '../../src/domain/core/result';
import type { SkuState } from '../../src/domain/sku';
import type { Outcome } from '../../src/contract/outcome';
import type { ShardLoans } from './borrowing';
import { replay } from './idempotency';
import type { RunOptions } from './requests';
import { screen } from './screen';

/** What a command needs of its SKU object before it is decided. */
export type BeforeCommitHost = { sql: SqlStorage; state: () => SkuState; loans: Pick<ShardLoans, 'wants' | 'borrow'> };

/**
 * The answer a command gets before it is decided, or null when it is to be decided now: screened
 * (`screen.ts`: shed, replayed, misrouted), else, for a reserve short of units on a sharded SKU,
 * the walk to its siblings first (`borrowing.ts`) — refused 503 when one that might hold units did
 * not answer, or the answer of a twin under the same key that was decided while this one waited.
 */
export async function beforeCommit<T>(host: BeforeCommitHost, { idempotency, ticket, units, customerId, region, rehomed }: RunOptions): Promise<Outcome<T> | null> {
  const screened = screen<T>(host.sql, host.state(), Date.now(), { idempotency, ticket, customerId, rehomed: rehomed ?? false });
  if (screened) return screened;
  if (units === undefined || !host.loans.wants(units, customerId)) return null;
  const unreachable = await host.loans.borrow(units, region);
  if (unreachable) return err(unreachable);
  return idempotency ? replay<T>(host.sql, idempotency) : null;
}
