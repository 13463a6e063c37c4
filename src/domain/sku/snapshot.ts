import type { Reservation, SkuState } from './state';

/** A SKU's state as plain JSON, for snapshots in the object's storage and on the snapshots topic. */
export type SkuSnapshot = Omit<SkuState, 'reservations'> & { reservations: Reservation[] };

export const toSnapshot = (state: SkuState): SkuSnapshot => ({ ...state, reservations: [...state.reservations.values()] });

export const fromSnapshot = (snapshot: SkuSnapshot): SkuState => ({
  ...snapshot,
  reservations: new Map(snapshot.reservations.map((r) => [r.reservationId, r])),
});
