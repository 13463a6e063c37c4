import type { Stamp } from '../core/causalDelivery';
import { checkoutStream, skuStream, streamCheckout } from '../core/vectorClock';
import { evolveReservation, type Reservation, type SkuEvent } from '../sku';
import { checkoutStatus, evolveCheckout, type CheckoutState, type CheckoutStatus, type LineState } from './checkout';
import type { CheckoutRecord } from './events';

/** One event of the two joined streams: a SKU object's or a checkout coordinator's. */
export type JoinedEvent = { kind: 'sku'; event: SkuEvent } | { kind: 'checkout'; event: CheckoutRecord };

export const stampOf = (joined: JoinedEvent): Stamp =>
  joined.kind === 'sku'
    ? { stream: skuStream(joined.event.sku), version: joined.event.version, causedBy: joined.event.causedBy }
    : { stream: checkoutStream(joined.event.checkoutId), version: joined.event.version, causedBy: joined.event.causedBy };

/**
 * The order view of one checkout, joined from its coordinator's log and its reservations' SKU
 * events: what the buyer's order looks like downstream of the edge (allocation by the WMS,
 * purchase). Only correct if fed in causal order; that is the consumer's job.
 */
export type OrderDocument = {
  checkoutId: string;
  checkout: CheckoutState | null;
  /** The reservations made for this checkout, as their SKU objects' events left them. */
  reservations: Record<string, Reservation & { sku: string }>;
};

export type OrderLine = {
  sku: string;
  qty: number;
  state: LineState;
  reservationId: string | null;
  purchase: Reservation['status'] | null;
  allocation: Reservation['allocation'] | null;
  releaseReason: Reservation['releaseReason'];
};

export type OrderView = { checkoutId: string; customerId: string; status: CheckoutStatus; version: number; lines: OrderLine[] };

/**
 * Which checkout an event belongs to: a checkout's own events; a SKU event that a checkout step
 * caused (its `causedBy` names the checkout); a later event about a reservation already known
 * to belong to one. Everything else is not an order's business.
 */
export function checkoutOf(joined: JoinedEvent, ownerOf: (reservationId: string) => string | undefined): string | null {
  if (joined.kind === 'checkout') return joined.event.checkoutId;
  const event = joined.event;
  if (!('reservationId' in event.data)) return null;
  if (event.type === 'StockReserved') {
    return Object.keys(event.causedBy).map(streamCheckout).find((id) => id !== null) ?? null;
  }
  return ownerOf(event.data.reservationId) ?? null;
}

export const emptyOrder = (checkoutId: string): OrderDocument => ({ checkoutId, checkout: null, reservations: {} });

/** Applies one event routed to this checkout by `checkoutOf`. The reservations evolve exactly as in their SKU object. */
export function evolveOrder(doc: OrderDocument, joined: JoinedEvent): OrderDocument {
  if (joined.kind === 'checkout') {
    const { checkoutId: _id, version: _v, at: _at, causedBy: _c, ...event } = joined.event;
    return { ...doc, checkout: evolveCheckout(doc.checkout, event) };
  }
  const event = joined.event;
  if (!('reservationId' in event.data)) return doc;
  const id = event.data.reservationId;
  const after = evolveReservation(doc.reservations[id] ?? null, event);
  return after ? { ...doc, reservations: { ...doc.reservations, [id]: { ...after, sku: event.sku } } } : doc;
}

export function orderView(doc: OrderDocument): OrderView | null {
  const c = doc.checkout;
  if (!c) return null;
  return {
    checkoutId: c.checkoutId,
    customerId: c.customerId,
    status: checkoutStatus(c),
    version: c.version,
    lines: c.lines.map((line) => {
      const r = line.reservationId ? doc.reservations[line.reservationId] : undefined;
      return {
        sku: line.sku,
        qty: line.qty,
        state: line.state,
        reservationId: line.reservationId,
        purchase: r?.status ?? null,
        allocation: r?.allocation ?? null,
        releaseReason: r?.releaseReason ?? null,
      };
    }),
  };
}
