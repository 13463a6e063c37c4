import { TOP_HOLDERS } from '../../src/contract/schemas';
import type { VectorClock } from '../../src/domain/core/vectorClock';
import type { MovementResult } from '../../src/contract/movements';
import { locationAvailable, locationStock, reservationView, skuCounters, skuOf } from '../../src/domain/sku';
import type { ReservationView, ShardStock, SkuContext, SkuCounters, SkuEvent, SkuState } from '../../src/domain/sku';
import type { Hoarding } from './requests';
import { topHolders } from './reservations';

/** What the SKU object answers after a decision, from the context it folded and the events it appended. */
export type Present<T> = (ctx: SkuContext, events: readonly SkuEvent[]) => T;

/** Presents a reservation the decision just succeeded on, so the context holds it. */
export const viewOf = (ref: { sku: string; reservationId: string }) => (ctx: SkuContext): ReservationView => reservationView(skuOf(ref.sku), ctx.reservation!);
export const countersOf = (ctx: SkuContext): SkuCounters => skuCounters(ctx.state);
/** The clock a command carries when its caller sent one (a checkout, the saga). */
export const caused = (causedBy: VectorClock | undefined): { causedBy?: VectorClock } => (causedBy ? { causedBy } : {});

/** A movement's or an adjustment's answer: the location after it, and the shortfall it recorded (none: `null`). */
export const movementResult = (req: { sku: string; location: string }) => (ctx: SkuContext, events: readonly SkuEvent[]): MovementResult => {
  const l = locationStock(ctx.state, req.location);
  const shortfall = events.find((e) => e.type === 'StockShortfall');
  return {
    sku: req.sku,
    version: ctx.state.version,
    applied: events.length > 0,
    location: { location: l.location, onHand: l.onHand, reserved: l.reserved, sold: l.sold, available: locationAvailable(l) },
    shortfall: shortfall?.type !== 'StockShortfall' ? null : {
      short: shortfall.data.short,
      unresolved: shortfall.data.unresolved,
      resourced: events.flatMap((e) => (e.type === 'ReservationResourced' ? [{ reservationId: e.data.reservationId, qty: e.data.qty, to: e.data.to }] : [])),
      released: events.flatMap((e) => (e.type === 'StockReleased' ? [{ reservationId: e.data.reservationId, qty: e.data.qty }] : [])),
    },
  };
};

/** A shard's stock as the edge plans with it: its counters, and the units it lent net of those it borrowed, in all and per location. */
export const shardStockOf = (state: SkuState): NonNullable<ShardStock> => ({
  counters: skuCounters(state),
  lent: state.lent,
  lentAt: Object.fromEntries(state.locations.map((l) => [l.location, l.lent])),
});

/** What the live view shows of hoarding here (issue 26): the top holders now, and the units ever let expire unbought. */
export const hoardingOf = (sql: SqlStorage, expiredUnits: number): Hoarding => ({ topHolders: topHolders(sql, TOP_HOLDERS), expiredUnits });
