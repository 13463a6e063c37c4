import { checkoutStatus, type CheckoutStatus, type OrderDocument } from '../../src/domain/checkout';

const OVER: ReadonlySet<CheckoutStatus> = new Set(['completed', 'cancelled', 'failed']);

/**
 * Whether nothing more will happen to a checkout's order: its coordinator finished it
 * (completed, cancelled, or failed and compensated), or it is `reserved` and every one of its
 * reservations was released at its SKU (the buyer never completed, the holds expired: the
 * coordinator records nothing for that, so the SKU events are what tell).
 */
export function isFinished(doc: OrderDocument): boolean {
  const checkout = doc.checkout;
  if (!checkout) return false;
  const status = checkoutStatus(checkout);
  if (OVER.has(status)) return true;
  if (status !== 'reserved') return false;
  return checkout.lines.every((line) => line.reservationId !== null && doc.reservations[line.reservationId]?.status === 'released');
}
