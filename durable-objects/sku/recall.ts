import { locationAvailable, locationStock, shardOf, siblingsOf, type SkuState, type StockCause } from '../../src/domain/sku';
import type { Overloaded } from './admission';

/** Asks one sibling for units of a location (a recall: committed ones too); the units lent, null if it did not answer. */
export type AskSibling = (lender: string, request: { want: number; location: string; recall?: StockCause }) => Promise<number | null>;

/** Retry-After when a sibling holding the location's units did not answer: the feed sends the document again. */
const SIBLING_UNREACHABLE_RETRY_S = 5;
/** Retry-After while units of the location are on a loan between shards: its lender redelivers it within seconds. */
const IN_FLIGHT_RETRY_S = 2;

/**
 * A warehouse document (or a repair) lowers a location of a sharded SKU; shard 0 applies it, and
 * first brings the location's units home (docs/architecture.md, locations on a sharded SKU):
 * 1. free units, lent by the siblings as to a buyer's walk, until shard 0 has `units` free;
 * 2. if the siblings had too few free, committed ones: a recall, as many as shard 0 lacks to hold
 *    the decrement at all, whose reservations give way on the sibling by the shortfall rule.
 * Whatever shard 0 still commits beyond its units then gives way there, by the same rule. A sibling
 * that does not answer while its units are needed, or units still on a loan between shards, make
 * the document wait (503, the feed sends it again), never oversell.
 */
export async function bringUnitsHome(
  state: () => SkuState,
  ask: AskSibling,
  { location, delta, cause }: { location: string; delta: number; cause: StockCause },
): Promise<Overloaded | null> {
  const { sku, shards } = state();
  if (delta >= 0 || shards <= 1 || sku === null || shardOf(sku) !== 0) return null;
  // A document counted already recalls nothing: the object answers it `applied: false`.
  if (cause.kind === 'warehouse' && (locationStock(state(), location).feed?.sequence ?? 0) >= cause.sequence) return null;
  const units = -delta;
  const siblings = siblingsOf(sku, shards);
  const here = () => locationStock(state(), location);
  let reached = true;
  for (const lender of siblings) {
    const want = units - locationAvailable(here());
    if (want <= 0) return null;
    if ((await ask(lender, { want, location })) === null) reached = false;
  }
  if (locationAvailable(here()) >= units) return null;
  if (!reached) return { code: 'overloaded', retryAfterSeconds: SIBLING_UNREACHABLE_RETRY_S };
  for (const lender of siblings) {
    const want = units - here().onHand;
    if (want <= 0) return null;
    if ((await ask(lender, { want, location, recall: cause })) === null) reached = false;
  }
  if (here().onHand >= units) return null;
  // Every sibling gave what it holds: the rest is on its way between shards (a loan not delivered
  // yet, redelivered by its lender's alarm). A refusal would stall the feed; a retry finds it home.
  return { code: 'overloaded', retryAfterSeconds: reached ? IN_FLIGHT_RETRY_S : SIBLING_UNREACHABLE_RETRY_S };
}
