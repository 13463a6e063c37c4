import { err } from '../core/result';
import type { VectorClock } from '../core/vectorClock';
import type {
  AdjustStock,
  AdminCause,
  AdminRelease,
  CancelReservation,
  CompletePurchase,
  ConfirmAllocation,
  ExpireReservation,
  FailAllocation,
  Placement,
  ReceiveStock,
  Reserve,
  SetStock,
  SkuCommand,
} from './commands';
import type { SkuError } from './errors';
import type { ReleaseReason, StockCause } from './events';
import { MAX_QTY, MAX_TTL_SECONDS } from './limits';
import { MAX_SHARDS, shardOf } from './shards';
import { regionsRefusal, type FailoverLimits, type ShardRegions } from './shardRegions';
import { changedPolicy, holdSeconds, policyRefusal, type SalePolicyChange } from './salePolicy';
import { layoutRefusal } from './stockPlan';
import type { SkuContext } from './context';
import { skuExists, type Reservation, type SkuState } from './state';
import { DEFAULT_LOCATION, hasNamedLocations, locationsOf, locationStock } from './locations';
import { mostSourceable, sourceLocation } from './sourcing';
import { failoverOf } from './failover';
import { defined, emit, emitAbout, heldUnder, invalid, isQuantity, NOTHING, placeOf, type Decision } from './emit';
import { adjustLocation, applyMovement } from './movements';
import { lendStock, receiveLoan } from './loans';
import { staleVerdict } from './verdicts';

/**
 * Decides what a command means for one SKU. Pure: the clock comes in as `now`, ids come in on
 * the command, and the rows it names come in on the context (loaded by index), so its cost is the
 * same whatever the SKU's history. Every invariant (never oversell, never rewrite) is checked here
 * and nowhere else.
 */
export function decide(command: SkuCommand, ctx: SkuContext, now: number): Decision {
  switch (command.type) {
    case 'SetStock':
      return setStock(command, ctx, now);
    case 'AdjustStock':
      return adjustStock(command, ctx, now);
    case 'ReceiveStock':
      return receiveStock(command, ctx, now);
    case 'Reserve':
      return reserve(command, ctx, now);
    case 'CompletePurchase':
      return completePurchase(command, ctx, now);
    case 'CancelReservation':
      return cancelReservation(command, ctx, now);
    case 'ExpireReservation':
      return expireReservation(command, ctx, now);
    case 'AdminRelease':
      return adminRelease(command, ctx, now);
    case 'ConfirmAllocation':
      return confirmAllocation(command, ctx, now);
    case 'FailAllocation':
      return failAllocation(command, ctx, now);
    case 'LendStock':
      return lendStock(command, ctx, now);
    case 'ReceiveLoan':
      return receiveLoan(command, ctx, now);
    case 'ApplyMovement':
      return applyMovement(command, ctx, now);
    case 'AdjustLocation':
      return adjustLocation(command, ctx, now);
    default: {
      const exhaustive: never = command;
      return exhaustive;
    }
  }
}

function setStock({ data, causedBy }: SetStock, { state }: SkuContext, now: number): Decision {
  const conflict = checkExpectedVersion(state, data.expectedVersion);
  if (conflict) return err(conflict);
  if (!isQuantity(data.onHand, 0)) return invalid('onHand must be a non-negative integer');
  const { location, priority, region } = data;
  if (location === undefined && (priority !== undefined || region !== undefined)) return invalid('priority and region are set on a location');
  if (priority !== undefined && !isQuantity(priority, 0)) return invalid('priority must be a non-negative integer');
  return stockSet(state, now, causedBy, data.sku, data.onHand, data.limitPerCustomer, { shards: data.shards, regions: data.shardRegions, failoverLimits: data.failoverLimits, policy: data.policy }, { location, priority, region }, data.cause);
}

/**
 * A shard's stock moved by `delta` units (and its layout and limit set): relative, so it commutes
 * with the loans between shards, which an absolute figure read a moment before would undo.
 */
function adjustStock({ data, causedBy }: AdjustStock, { state }: SkuContext, now: number): Decision {
  if (!Number.isSafeInteger(data.delta)) return invalid('delta must be an integer');
  const { location, priority, region } = data;
  if (location === undefined && (priority !== undefined || region !== undefined)) return invalid('priority and region are set on a location');
  const onHand = location === undefined && !hasNamedLocations(state) ? state.onHand : locationStock(state, location).onHand;
  return stockSet(state, now, causedBy, data.sku, onHand + data.delta, data.limitPerCustomer, { shards: data.shards, regions: data.shardRegions, failoverLimits: data.failoverLimits, policy: data.policy }, defined({ location, priority, region }), data.cause);
}

function stockSet(
  state: SkuState,
  now: number,
  causedBy: VectorClock | undefined,
  sku: string,
  onHand: number,
  limitPerCustomer: number | null | undefined,
  layout: { shards: number | undefined; regions: ShardRegions | undefined; failoverLimits: FailoverLimits | undefined; policy?: SalePolicyChange | undefined },
  place: Placement = {},
  cause?: AdminCause,
): Decision {
  const limit = limitPerCustomer === undefined ? state.limitPerCustomer : limitPerCustomer;
  if (limit !== null && !isQuantity(limit, 1)) return invalid('limitPerCustomer must be a positive integer');
  const shards = layout.shards ?? state.shards;
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > MAX_SHARDS) return invalid(`shards must be an integer in 1..${MAX_SHARDS}`);
  const shrinking = layoutRefusal(state.shards, shards);
  if (shrinking) return err(shrinking);
  if (shardOf(sku) >= shards) return invalid(`shard ${shardOf(sku)} is outside a layout of ${shards}`);
  if (layout.regions !== undefined && shards === 1) return invalid('shardRegions place the shards of a sharded SKU (shards > 1)');
  if (layout.failoverLimits !== undefined && shards === 1) return invalid('failoverLimits apply to a sharded SKU (shards > 1)');
  const failoverLimits = layout.failoverLimits ?? (state.failoverLimits === 'strict' ? 'strict' : undefined);
  const moved = layout.regions === undefined ? null : regionsRefusal(state.shardRegions, state.shards > 1 ? state.shards : 0, layout.regions);
  if (moved) return invalid(moved);
  const regions = layout.regions ?? state.shardRegions;
  const policy = layout.policy === undefined ? null : changedPolicy(state.policy, layout.policy);
  if (typeof policy === 'string') return invalid(policy);
  // Invariant never-oversell-a-location: a location's units never go under what it has reserved or sold.
  const target = locationStock(state, place.location);
  if (target.feed) return err(locationFed(target.location, target.feed.warehouse));
  const committed = target.reserved + target.sold;
  if (onHand < committed) return err({ code: 'below_committed', committed });
  return emit(state, now, causedBy, sku, {
    type: 'StockSet',
    data: { onHand, limitPerCustomer: limit, ...(shards > 1 ? { shards, ...(regions ? { shardRegions: regions } : {}), ...defined({ failoverLimits }) } : {}), ...defined(place), ...(policy ? { policy } : {}), ...defined({ cause }) },
  });
}

function receiveStock({ data, causedBy }: ReceiveStock, { state }: SkuContext, now: number): Decision {
  const conflict = checkExpectedVersion(state, data.expectedVersion);
  if (conflict) return err(conflict);
  if (!skuExists(state)) return err({ code: 'sku_not_found' });
  if (!isQuantity(data.qty, 1)) return invalid('qty must be a positive integer');
  const { feed } = locationStock(state, data.location);
  if (feed) return err(locationFed(data.location ?? DEFAULT_LOCATION, feed.warehouse));
  return emit(state, now, causedBy, data.sku, { type: 'StockReceived', data: { qty: data.qty, ...defined({ location: data.location, cause: data.cause }) } });
}

function reserve({ data, causedBy }: Reserve, { state, reservation, activeUnits }: SkuContext, now: number): Decision {
  if (!skuExists(state)) return err({ code: 'sku_not_found' });
  if (!isQuantity(data.qty, 1) || data.qty > MAX_QTY) return invalid(`qty must be an integer in 1..${MAX_QTY}`);
  if (!isQuantity(data.ttlSeconds, 1) || data.ttlSeconds > MAX_TTL_SECONDS) {
    return invalid(`ttlSeconds must be an integer in 1..${MAX_TTL_SECONDS}`);
  }
  if (reservation) return invalid('reservationId already used');
  if (data.rehomedFrom !== undefined && !(Number.isSafeInteger(data.rehomedFrom) && data.rehomedFrom >= 0 && data.rehomedFrom < state.shards)) {
    return invalid(`rehomedFrom must name a shard of the layout (0..${state.shards - 1})`);
  }
  // Issue 26: the SKU's sale policy first (not started, too many units at once), then the customer's limit.
  const refused = policyRefusal(state.policy, data.qty, now);
  if (refused) return err(refused);
  const limit = state.limitPerCustomer;
  if (limit !== null && activeUnits + data.qty > limit) return err({ code: 'customer_limit', limitPerCustomer: limit, activeUnits });
  // Invariant never-oversell-a-location: the units come from one location that has them all.
  const locations = locationsOf(state);
  const source = sourceLocation(locations, data.qty, data.region);
  if (!source) return err({ code: 'insufficient_stock', available: mostSourceable(locations) });
  const expiresAt = new Date(now + holdSeconds(state.policy, data.ttlSeconds, data.ttlDefaulted === true) * 1000).toISOString();
  const location = hasNamedLocations(state) ? { location: source.location } : {};
  return emit(state, now, causedBy, data.sku, {
    type: 'StockReserved',
    data: { reservationId: data.reservationId, customerId: data.customerId, qty: data.qty, expiresAt, ...location, ...defined({ rehomedFrom: data.rehomedFrom }) },
  });
}

function completePurchase({ data, causedBy }: CompletePurchase, ctx: SkuContext, now: number): Decision {
  const r = ownReservation(ctx, data.reservationId, data.customerId);
  if (!r) return err({ code: 'reservation_not_found' });
  if (r.status === 'completed') return NOTHING;
  if (r.status === 'released') return err({ code: 'reservation_released', reason: r.releaseReason ?? 'admin' });
  if (isDue(r, now)) return err({ code: 'reservation_expired' });
  return emitAbout(ctx.state, r, now, causedBy, { type: 'ReservationCompleted', data: { reservationId: r.reservationId, qty: r.qty, ...placeOf(r) } });
}

function cancelReservation({ data, causedBy }: CancelReservation, ctx: SkuContext, now: number): Decision {
  const r = ownReservation(ctx, data.reservationId, data.customerId);
  if (!r) return err({ code: 'reservation_not_found' });
  if (r.status === 'released') return NOTHING;
  if (r.status === 'completed') return err({ code: 'reservation_completed' });
  return release(ctx.state, r, 'cancelled', now, causedBy);
}

function expireReservation({ data, causedBy }: ExpireReservation, ctx: SkuContext, now: number): Decision {
  const r = named(ctx, data.reservationId);
  if (!r) return err({ code: 'reservation_not_found' });
  // Only a purchase still held can lapse; an alarm that fires twice or early changes nothing.
  if (r.status !== 'held' || !isDue(r, now)) return NOTHING;
  return release(ctx.state, r, 'expired', now, causedBy);
}

function adminRelease({ data, causedBy }: AdminRelease, ctx: SkuContext, now: number): Decision {
  const conflict = checkExpectedVersion(ctx.state, data.expectedVersion);
  if (conflict) return err(conflict);
  const r = named(ctx, data.reservationId);
  if (!r) return err({ code: 'reservation_not_found' });
  if (r.status === 'released') return NOTHING;
  return release(ctx.state, r, 'admin', now, causedBy, data.cause);
}

function confirmAllocation({ data, causedBy }: ConfirmAllocation, ctx: SkuContext, now: number): Decision {
  const r = named(ctx, data.reservationId);
  if (!r) return err({ code: 'reservation_not_found' });
  // A success that arrives after the release must be undone at the WMS by the caller.
  if (r.status === 'released') return err({ code: 'reservation_released', reason: r.releaseReason ?? 'admin' });
  const stale = staleVerdict(r, data);
  if (stale) return invalid(stale);
  if (r.allocation === 'allocated') {
    return r.allocationId === data.allocationId ? NOTHING : err({ code: 'allocation_conflict', allocationId: r.allocationId });
  }
  return emitAbout(ctx.state, r, now, causedBy, {
    type: 'AllocationConfirmed',
    data: { reservationId: r.reservationId, allocationId: data.allocationId, ...defined({ reference: data.reference }), cause: sagaOf(r) },
  });
}

function failAllocation({ data, causedBy }: FailAllocation, ctx: SkuContext, now: number): Decision {
  const r = named(ctx, data.reservationId);
  if (!r) return err({ code: 'reservation_not_found' });
  if (r.status === 'released') return NOTHING;
  const stale = staleVerdict(r, data);
  if (stale) return invalid(stale);
  if (r.allocation === 'allocated') return err({ code: 'allocation_conflict', allocationId: r.allocationId });
  // Another warehouse's location with the units takes the reservation: lost only when none can serve it.
  const moved = failoverOf(ctx.state, r, data);
  if (moved) return emitAbout(ctx.state, r, now, causedBy, moved);
  // Invariant no-sale-undone-by-our-outage: a sale is undone by the WMS refusing it, never by our not reaching the WMS; the
  // saga goes back to allocating it. A held reservation still lapses (or is compensated) as before.
  if (r.status === 'completed' && data.reason === 'wms_timeout') return err({ code: 'reservation_completed' });
  return release(ctx.state, r, data.reason, now, causedBy, sagaOf(r));
}

function release(
  state: SkuState,
  r: Reservation,
  reason: ReleaseReason,
  now: number,
  causedBy: VectorClock | undefined,
  cause?: StockCause,
): Decision {
  return emitAbout(state, r, now, causedBy, {
    type: 'StockReleased',
    data: { reservationId: r.reservationId, qty: r.qty, reason, refundDue: r.status === 'completed', ...placeOf(r), ...heldUnder(r), ...defined({ cause }) },
  });
}

/** The saga's verdicts on an allocation name the reservation whose saga decided them (audit). */
const sagaOf = (r: Reservation): StockCause => ({ kind: 'saga', reservationId: r.reservationId });
/** A fed location's stock follows its warehouse's documents; a hand-set figure would be overwritten by the next count. */
const locationFed = (location: string, warehouse: string): SkuError => ({ code: 'location_fed', location, warehouse });

/** The row the shell loaded, if it is the one the command names. */
function named({ reservation }: SkuContext, reservationId: string): Reservation | undefined {
  return reservation?.reservationId === reservationId ? reservation : undefined;
}

function ownReservation(ctx: SkuContext, reservationId: string, customerId: string): Reservation | undefined {
  const r = named(ctx, reservationId);
  // Another customer's reservation is indistinguishable from a missing one.
  return r && r.customerId === customerId ? r : undefined;
}

function checkExpectedVersion(state: SkuState, expected: number | undefined): SkuError | null {
  if (expected === undefined || expected === state.version) return null;
  return { code: 'version_conflict', currentVersion: state.version, expectedVersion: expected };
}

const isDue = (r: Reservation, now: number): boolean => Date.parse(r.expiresAt) <= now;
