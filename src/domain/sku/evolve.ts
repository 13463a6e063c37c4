import type { SkuEvent, SkuEventOf } from './events';
import type { Reservation, SkuState } from './state';

/**
 * Applies one event. Total: an event that cannot apply (unknown reservation, already
 * released) changes nothing but the version, so replaying any log never throws.
 */
export function evolve(state: SkuState, event: SkuEvent): SkuState {
  const next = applyData(state, event);
  return { ...next, sku: event.sku, version: event.version, lastEventAt: event.at };
}

/** Every event that changes a reservation goes through here, so each stamps its version. */
function updateReservation(
  state: SkuState,
  event: SkuEvent & { data: { reservationId: string } },
  update: (r: Reservation) => Reservation,
): SkuState {
  const r = state.reservations.get(event.data.reservationId);
  if (!r) return state;
  const changed = update(r);
  if (changed === r) return state;
  return { ...state, reservations: new Map(state.reservations).set(r.reservationId, { ...changed, version: event.version }) };
}

function applyData(state: SkuState, event: SkuEvent): SkuState {
  switch (event.type) {
    case 'StockSet':
      return { ...state, onHand: event.data.onHand, limitPerCustomer: event.data.limitPerCustomer };
    case 'StockReceived':
      return { ...state, onHand: state.onHand + event.data.qty };
    case 'StockReserved':
      return onReserved(state, event);
    case 'AllocationConfirmed':
      return updateReservation(state, event, (r) =>
        r.status === 'released' ? r : { ...r, allocation: 'allocated', allocationId: event.data.allocationId },
      );
    case 'ReservationCompleted':
      return onCompleted(state, event);
    case 'StockReleased':
      return onReleased(state, event);
    default: {
      const exhaustive: never = event;
      return exhaustive;
    }
  }
}

function onReserved(state: SkuState, event: SkuEventOf<'StockReserved'>): SkuState {
  const { reservationId, customerId, qty, expiresAt } = event.data;
  if (state.reservations.has(reservationId)) return state;
  const reservation: Reservation = {
    reservationId,
    customerId,
    qty,
    expiresAt,
    status: 'held',
    allocation: 'pending',
    allocationId: null,
    releaseReason: null,
    refundDue: false,
    reservedAtVersion: event.version,
    version: event.version,
  };
  const reservations = new Map(state.reservations).set(reservationId, reservation);
  return { ...state, reserved: state.reserved + qty, reservations };
}

function onCompleted(state: SkuState, event: SkuEventOf<'ReservationCompleted'>): SkuState {
  const r = state.reservations.get(event.data.reservationId);
  if (!r || r.status !== 'held') return state;
  const next = updateReservation(state, event, () => ({ ...r, status: 'completed' }));
  return { ...next, reserved: state.reserved - r.qty, sold: state.sold + r.qty };
}

function onReleased(state: SkuState, event: SkuEventOf<'StockReleased'>): SkuState {
  const r = state.reservations.get(event.data.reservationId);
  if (!r || r.status === 'released') return state;
  const { reason } = event.data;
  const wmsFailure = reason === 'wms_timeout' || reason === 'wms_rejected';
  const released: Reservation = {
    ...r,
    status: 'released',
    releaseReason: reason,
    refundDue: r.status === 'completed',
    allocation: wmsFailure ? 'failed' : r.allocation,
  };
  const next = updateReservation(state, event, () => released);
  return r.status === 'held'
    ? { ...next, reserved: state.reserved - r.qty }
    : { ...next, sold: state.sold - r.qty };
}
