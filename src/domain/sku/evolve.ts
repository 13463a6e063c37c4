import type { Loan, SkuContext } from './context';
import type { SkuEvent } from './events';
import { withLocation } from './locations';
import type { Reservation, SkuState } from './state';

/**
 * The counters after one event, from the event alone: O(1) and no rows, so a consumer of the log
 * (snapshots, rebuilds) folds any history in constant memory per SKU. It trusts the event, which
 * `decide` produced against the rows; a context fold (`evolveContext`) is the total one.
 */
export function evolve(state: SkuState, event: SkuEvent): SkuState {
  return { ...applyCounters(state, event), sku: event.sku, version: event.version, lastEventAt: event.at };
}

function applyCounters(state: SkuState, event: SkuEvent): SkuState {
  switch (event.type) {
    case 'StockSet': {
      const { onHand, limitPerCustomer, shards, shardRegions, failoverLimits, policy, location, priority, region } = event.data;
      const placed = withLocation(state, location, (l) => ({ ...l, onHand, priority: priority ?? l.priority, region: region === undefined ? l.region : region }));
      return { ...placed, limitPerCustomer, shards: shards ?? 1, shardRegions: shardRegions ?? state.shardRegions, failoverLimits: failoverLimits ?? state.failoverLimits, policy: policy ?? state.policy };
    }
    case 'StockReceived':
      return withLocation(state, event.data.location, (l) => ({ ...l, onHand: l.onHand + event.data.qty }));
    case 'StockReserved':
      return withLocation(state, event.data.location, (l) => ({ ...l, reserved: l.reserved + event.data.qty }));
    case 'AllocationConfirmed':
      return state;
    case 'ReservationCompleted':
      return withLocation(state, event.data.location, (l) => ({ ...l, reserved: l.reserved - event.data.qty, sold: l.sold + event.data.qty }));
    case 'StockReleased': {
      const { qty, refundDue, reason } = event.data;
      const released = withLocation(state, event.data.location, (l) => (refundDue ? { ...l, sold: l.sold - qty } : { ...l, reserved: l.reserved - qty }));
      // Held, never bought, let lapse: what hoarding leaves behind (issue 26).
      return reason === 'expired' ? { ...released, expiredUnits: released.expiredUnits + qty } : released;
    }
    // Loans move units of one location between shards (none named: the implicit `default`, the totals).
    case 'StockLent':
      return withLocation(state, event.data.location, (l) => ({ ...l, onHand: l.onHand - event.data.qty, lent: l.lent + event.data.qty }));
    case 'StockBorrowed':
      return withLocation(state, event.data.location, (l) => ({ ...l, onHand: l.onHand + event.data.qty, lent: l.lent - event.data.qty }));
    case 'StockMoved': {
      const { location, delta, cause } = event.data;
      const feed = cause.kind === 'warehouse' ? { warehouse: cause.warehouse, sequence: cause.sequence } : undefined;
      return withLocation(state, location, (l) => ({ ...l, onHand: l.onHand + delta, feed: feed ?? l.feed }));
    }
    case 'StockShortfall':
      return state;
    case 'ReservationResourced': {
      const { qty, from, to, completed } = event.data;
      const field = completed ? 'sold' : 'reserved';
      const taken = withLocation(state, from, (l) => ({ ...l, [field]: l[field] - qty }));
      return withLocation(taken, to, (l) => ({ ...l, [field]: l[field] + qty }));
    }
    default: {
      const exhaustive: never = event;
      return exhaustive;
    }
  }
}

/**
 * The reservation row after one event. Total: an event that cannot apply to the row (another
 * reservation, an unknown one, one already released) leaves it as it was.
 */
export function evolveReservation(r: Reservation | null, event: SkuEvent): Reservation | null {
  if (event.type === 'StockReserved') return r ?? reservationFrom(event);
  if (!r || !('reservationId' in event.data) || event.data.reservationId !== r.reservationId) return r;
  const changed = transition(r, event);
  return changed === r ? r : { ...changed, version: event.version };
}

function reservationFrom(event: Extract<SkuEvent, { type: 'StockReserved' }>): Reservation {
  const { reservationId, customerId, qty, expiresAt, location } = event.data;
  return {
    reservationId,
    customerId,
    qty,
    expiresAt,
    location: location ?? null,
    resourcings: 0,
    status: 'held',
    allocation: 'pending',
    allocationId: null,
    allocationReference: null,
    releaseReason: null,
    refundDue: false,
    reservedAtVersion: event.version,
    version: event.version,
  };
}

function transition(r: Reservation, event: SkuEvent): Reservation {
  switch (event.type) {
    case 'AllocationConfirmed':
      return r.status === 'released' ? r : { ...r, allocation: 'allocated', allocationId: event.data.allocationId, allocationReference: event.data.reference ?? null };
    case 'ReservationCompleted':
      return r.status === 'held' ? { ...r, status: 'completed' } : r;
    // The allocation at the old location is being cancelled there: the one at `to` is the saga's to confirm (ADR 0015).
    case 'ReservationResourced':
      return r.status === 'released' ? r : { ...r, location: event.data.to, allocation: 'pending', allocationId: null, allocationReference: null, resourcings: r.resourcings + 1 };
    case 'StockReleased': {
      if (r.status === 'released') return r;
      const { reason } = event.data;
      const wmsFailure = reason === 'wms_timeout' || reason === 'wms_rejected';
      return {
        ...r,
        status: 'released',
        releaseReason: reason,
        refundDue: r.status === 'completed',
        allocation: wmsFailure ? 'failed' : r.allocation,
      };
    }
    default:
      return r;
  }
}

/**
 * One event applied to a command's context: the row it names and the counters. The counters move
 * by the row's own transition (its quantity and status before and after), so replaying any log
 * never throws and never counts an impossible transition. `activeUnits` stays as loaded: it is
 * an input of the decision, not part of what the event changes.
 */
export function evolveContext(ctx: SkuContext, event: SkuEvent): SkuContext {
  const stamped = { ...ctx.state, sku: event.sku, version: event.version, lastEventAt: event.at };
  if (!('reservationId' in event.data)) return { ...ctx, state: applyCounters(stamped, event) };
  const { reservationId } = event.data;
  // A shortfall's events are about the candidate rows the context carries, not the one it names.
  const candidate = ctx.candidates?.find((r) => r.reservationId === reservationId);
  if (candidate && ctx.candidates) {
    const { state, row } = rowStep(stamped, candidate, event);
    return { ...ctx, state, candidates: ctx.candidates.map((r) => (r === candidate ? row : r)) };
  }
  const { state, row } = rowStep(stamped, ctx.reservation, event);
  return { ...ctx, state, reservation: row };
}

/** The counters and the row after an event about it (the row unchanged, the same object, when it does not apply). */
function rowStep<R extends Reservation | null>(stamped: SkuState, before: R, event: SkuEvent): { state: SkuState; row: R } {
  const after = evolveReservation(before, event);
  if (after === before || after === null) return { state: stamped, row: before };
  // Units change location, not status: the event names both ends.
  if (event.type === 'ReservationResourced') return { state: applyCounters(stamped, event), row: after as R };
  const state = withLocation(stamped, after.location ?? undefined, (l) => ({
    ...l,
    reserved: l.reserved + unitsIn('held', after) - unitsIn('held', before),
    sold: l.sold + unitsIn('completed', after) - unitsIn('completed', before),
  }));
  // A hold let lapse unbought (issue 26), counted as the counters' fold counts it.
  const expired = event.type === 'StockReleased' && event.data.reason === 'expired' ? unitsIn('held', before) : 0;
  return { state: expired > 0 ? { ...state, expiredUnits: state.expiredUnits + expired } : state, row: after as R };
}

const unitsIn = (status: Reservation['status'], r: Reservation | null): number => (r?.status === status ? r.qty : 0);

/** Held or bought and not given back: what counts toward the customer's limit. */
export const activeUnits = (r: Reservation | null): number => (r && r.status !== 'released' ? r.qty : 0);

/** The transfer an event records, as its stream keeps it (to answer a repeated request the same). */
export function loanOf(event: SkuEvent): Loan | null {
  switch (event.type) {
    case 'StockLent':
      return { transferId: event.data.transferId, direction: 'out', peer: event.data.to, qty: event.data.qty, version: event.version, location: event.data.location ?? null };
    case 'StockBorrowed':
      return { transferId: event.data.transferId, direction: 'in', peer: event.data.from, qty: event.data.qty, version: event.version, location: event.data.location ?? null };
    default:
      return null;
  }
}
