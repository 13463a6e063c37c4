import { err } from '../core/result';
import type { LendStock, ReceiveLoan } from './commands';
import type { SkuContext } from './context';
import { defined, emit, invalid, isQuantity, NOTHING, type Decision } from './emit';
import { hasNamedLocations, locationAvailable, locationsOf, type LocationStock } from './locations';
import { recall } from './movements';
import { MAX_SHARDS, shardOf, skuOf } from './shards';
import { sourceLocation } from './sourcing';
import { skuExists, type SkuState } from './state';

/*
 * Loans between the shards of a sharded SKU: units of one location lent to a sibling short of
 * them, and taken by it once however often delivered (docs/architecture.md, sharding; ADR 0018).
 */

/**
 * A sibling short of units asks for them. The lender gives the deficit, or half of what it has
 * when that is more (a borrower that comes back at once would cost two more commands), and never
 * more than it has available: lending cannot oversell. The units are of one location: the one
 * asked for, else the one a buyer of the borrower's region would be sourced to. Asked again under
 * the same transfer id, it gives nothing more (the shell answers what was lent). A recall is
 * `recall.ts`'s.
 */
export function lendStock(command: LendStock, ctx: SkuContext, now: number): Decision {
  const { data, causedBy } = command;
  const { state } = ctx;
  if (!skuExists(state)) return err({ code: 'sku_not_found' });
  if (ctx.loan) return NOTHING;
  if (!isSibling(state, data.to)) return invalid(`${data.to} is not a shard of ${skuOf(state.sku ?? '')}`);
  if (!isQuantity(data.want, 1)) return invalid('want must be a positive integer');
  if (data.recall) return recall(command, ctx, now);
  const from = lendingLocation(state, data.location, data.region);
  if (!from) return NOTHING;
  const left = locationAvailable(from);
  const qty = Math.min(left, Math.max(data.want, Math.ceil(left / 2)));
  if (qty === 0) return NOTHING;
  const location = hasNamedLocations(state) ? { location: from.location } : {};
  return emit(state, now, causedBy, state.sku ?? '', { type: 'StockLent', data: { transferId: data.transferId, qty, to: data.to, ...location } });
}

/** Where a loan's units come from: the location asked for, else the sourcing rule's pick among those with units. */
function lendingLocation(state: SkuState, location: string | undefined, region: string | undefined): LocationStock | null {
  const locations = locationsOf(state);
  if (location !== undefined) return locations.find((l) => l.location === location) ?? null;
  return sourceLocation(locations, 1, region);
}

/** Units lent by a sibling arrive, once whatever the number of deliveries. */
export function receiveLoan({ data, causedBy }: ReceiveLoan, ctx: SkuContext, now: number): Decision {
  const { state } = ctx;
  if (!skuExists(state)) return err({ code: 'sku_not_found' });
  if (ctx.loan) return NOTHING;
  if (!isSibling(state, data.from)) return invalid(`${data.from} is not a shard of ${skuOf(state.sku ?? '')}`);
  if (!isQuantity(data.qty, 1)) return invalid('qty must be a positive integer');
  return emit(state, now, causedBy, state.sku ?? '', {
    type: 'StockBorrowed',
    data: { transferId: data.transferId, qty: data.qty, from: data.from, ...defined({ location: data.location }) },
  });
}

const isSibling = (state: SkuState, stream: string): boolean =>
  state.sku !== null && stream !== state.sku && skuOf(stream) === skuOf(state.sku) && shardOf(stream) < MAX_SHARDS;

