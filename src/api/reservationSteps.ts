import type { ReservationStep } from '../contract/schemas';
import type { SkuEvent } from '../domain/sku';

/** A reservation's events as its buyer sees them (`ReservationStepSchema`): what happened, when, nothing internal. */
export function reservationSteps(events: readonly SkuEvent[]): ReservationStep[] {
  return events.flatMap((e): ReservationStep[] => {
    switch (e.type) {
      case 'StockReserved':
        return [{ type: e.type, at: e.at, qty: e.data.qty, expiresAt: e.data.expiresAt, ...(e.data.location === undefined ? {} : { location: e.data.location }) }];
      case 'AllocationConfirmed':
        return [{ type: e.type, at: e.at }];
      case 'ReservationCompleted':
        return [{ type: e.type, at: e.at, qty: e.data.qty }];
      case 'StockReleased':
        return [{ type: e.type, at: e.at, qty: e.data.qty, reason: e.data.reason, refundDue: e.data.refundDue }];
      case 'ReservationResourced':
        return [{ type: e.type, at: e.at, qty: e.data.qty, reason: e.data.reason, location: e.data.to }];
      default:
        return [];
    }
  });
}
