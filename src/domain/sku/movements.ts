import type { AdjustLocation, ApplyMovement, LendStock } from './commands';
import type { SkuContext } from './context';
import { invalid, isQuantity, NOTHING, type Decision } from './emit';
import { err, ok } from '../core/result';
import type { StockCause } from './events';
import { hasNamedLocations, locationStock } from './locations';
import { movedWithShortfall, recalledUnits } from './shortfall';
import { skuExists, type SkuState } from './state';
import { shardOf } from './shards';

/*
 * Physical stock as the warehouses hold it: a location fed by a warehouse moves by that
 * warehouse's documents (receipts, count corrections, damages), each applied once, and by
 * reconcile's repairs. Either may take the location below what it committed: see shortfall.ts.
 */

/**
 * A warehouse document: applied once. The bridge delivers a warehouse's documents in sequence
 * order, so a location keeps the last sequence it applied and anything at or below it was
 * counted already (ADR 0013). A movement on a SKU not set up yet creates it: the feed is the
 * source of truth for physical stock.
 */
export function applyMovement({ data, causedBy }: ApplyMovement, ctx: SkuContext, now: number): Decision {
  const { state } = ctx;
  if (!isQuantity(data.sequence, 1)) return invalid('sequence must be a positive integer');
  const { feed } = locationStock(state, data.location);
  if (feed !== null && feed.warehouse !== data.warehouse) return invalid(`${data.location} is fed by warehouse ${feed.warehouse}, not ${data.warehouse}`);
  // Counted already: answered before its delta is judged against today's stock, which a redelivered
  // stocktake may well take below 0 by now (refusing it would stall the feed on it for good).
  if (feed !== null && data.sequence <= feed.sequence) return NOTHING;
  const refused = moveRefusal(state, data.location, data.delta);
  if (refused) return refused;
  return moved(ctx, now, causedBy, data.sku, data.location, data.delta, movementCause(data));
}

/** A repair by reconcile (an admin key): relative, so it commutes with the sales going on. */
export function adjustLocation({ data, causedBy }: AdjustLocation, ctx: SkuContext, now: number): Decision {
  if (!skuExists(ctx.state)) return err({ code: 'sku_not_found' });
  if (data.delta === 0) return invalid('delta must not be 0');
  const refused = moveRefusal(ctx.state, data.location, data.delta);
  if (refused) return refused;
  return moved(ctx, now, causedBy, data.sku, data.location, data.delta, repairCause(data));
}

/** The cause a warehouse document's events record. */
export const movementCause = (data: ApplyMovement['data']): StockCause => ({
  kind: 'warehouse', warehouse: data.warehouse, document: data.document, sequence: data.sequence, movement: data.movement,
});

/** The cause a repair's events record: the admin key's id, never the key. */
export const repairCause = (data: AdjustLocation['data']): StockCause => ({
  kind: 'repair', keyId: data.keyId, reason: data.reason, ...(data.document === undefined ? {} : { document: data.document }),
});

function moveRefusal(state: SkuState, location: string, delta: number): Decision | null {
  if (!Number.isSafeInteger(delta)) return invalid('delta must be an integer');
  // A sharded SKU's physical stock changes at shard 0, which recalls units from its siblings first (see `recall`).
  if (state.sku !== null && shardOf(state.sku) !== 0) return invalid(`stock movements go to shard 0 of a sharded SKU, not ${state.sku}`);
  const onHand = locationStock(state, location).onHand + delta;
  // Physical stock is never negative: a document that says so contradicts what the edge holds.
  if (onHand < 0) return invalid(`the movement would take ${location} to ${onHand} units`);
  return null;
}

function moved(ctx: SkuContext, now: number, causedBy: ApplyMovement['causedBy'], sku: string, location: string, delta: number, cause: StockCause): Decision {
  const body = { type: 'StockMoved' as const, data: { location, delta, cause } };
  return ok(movedWithShortfall(ctx.state, now, causedBy, sku, body, location, cause, ctx.candidates ?? []));
}

/**
 * Shard 0 of a sharded SKU takes units of a location back for a warehouse document that lowers it
 * below what shard 0 holds: `want` units (as many as this shard has on hand), committed ones too,
 * whose reservations then give way here by the shortfall rule, exactly as on an unsharded SKU.
 * Invariant never-oversell-a-location: summed over the shards, a location's committed units stay
 * within its physical stock, because every shard's stay within its own share.
 */
export function recall({ data, causedBy }: LendStock, ctx: SkuContext, now: number): Decision {
  const { state } = ctx;
  if (data.location === undefined || data.recall === undefined) return invalid('a recall names its location and cause');
  if (shardOf(data.to) !== 0) return invalid('units are recalled by shard 0 only');
  const qty = recalledUnits(state, data);
  if (qty === 0) return NOTHING;
  const location = hasNamedLocations(state) ? { location: data.location } : {};
  const body = { type: 'StockLent' as const, data: { transferId: data.transferId, qty, to: data.to, ...location, cause: data.recall } };
  return ok(movedWithShortfall(state, now, causedBy, state.sku ?? '', body, data.location, data.recall, ctx.candidates ?? []));
}

