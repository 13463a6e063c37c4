import type { VectorClock } from '../core/vectorClock';
import type { SkuCommand } from './commands';
import { causeAbout, heldUnder, placeOf, stamp, type EventBody } from './emit';
import { evolve } from './evolve';
import type { SkuEvent, StockCause } from './events';
import { DEFAULT_LOCATION, locationsOf, locationStock } from './locations';
import { sourceLocation } from './sourcing';
import type { Reservation, SkuState } from './state';

/*
 * The shortfall rule (docs/architecture.md, invariant never-oversell-a-location): when a location's
 * physical stock falls below what it committed (reserved + sold), the decision records a
 * StockShortfall and resolves the affected reservations at once, held ones first, newest first,
 * then completed ones: each is re-sourced to another location with the units, else a held one is
 * released (`stock_shortfall`); a sold one nobody can take stays, counted `unresolved` (ADR 0013).
 */

/** A location short of committed units after a command, and by how many. */
export type Shortfall = { location: string; short: number };

/**
 * Where the command would take a location below what it committed, and by how many units: what
 * the shell loads candidate rows for. Null for any other command, a movement counted already, or
 * one that leaves the location covered.
 */
export function shortfallAt(state: SkuState, command: SkuCommand): Shortfall | null {
  const change = stockChange(state, command);
  if (!change) return null;
  const { location, delta } = change;
  const at = locationStock(state, location);
  const onHand = at.onHand + delta;
  const committed = at.reserved + at.sold;
  return Number.isSafeInteger(onHand) && onHand >= 0 && onHand < committed ? { location, short: committed - onHand } : null;
}

/** The change of a location's on-hand units a command may make below what it committed: movements, repairs, recalls. */
function stockChange(state: SkuState, command: SkuCommand): { location: string; delta: number } | null {
  switch (command.type) {
    case 'ApplyMovement': {
      const { feed } = locationStock(state, command.data.location);
      return feed !== null && command.data.sequence <= feed.sequence ? null : command.data;
    }
    case 'AdjustLocation':
      return command.data;
    case 'LendStock':
      return command.data.recall && command.data.location !== undefined ? { location: command.data.location, delta: -recalledUnits(state, command.data) } : null;
    default:
      return null;
  }
}

/** What a recall takes: the units asked for, no more than the location holds on this shard. */
export const recalledUnits = (state: SkuState, data: { want: number; location?: string | undefined }): number =>
  Math.max(0, Math.min(data.want, locationStock(state, data.location).onHand));

/**
 * The candidate rows a shortfall of `short` units needs, from the location's held reservations and
 * then its completed ones (each newest first, read lazily): as many as cover `short`, no more.
 */
export function candidatesCovering(held: Iterable<Reservation>, completed: Iterable<Reservation>, short: number): Reservation[] {
  const taken: Reservation[] = [];
  let units = 0;
  for (const rows of [held, completed]) {
    if (units >= short) break;
    for (const r of rows) {
      taken.push(r);
      units += r.qty;
      if (units >= short) break;
    }
  }
  return taken;
}

/** Held first, then completed; newest first in each: who gives way first when a location is short. */
const giveWayOrder = (a: Reservation, b: Reservation): number =>
  Number(a.status !== 'held') - Number(b.status !== 'held') || b.reservedAtVersion - a.reservedAtVersion;

/**
 * The events of a stock move (`moved`, already a body: a StockMoved, or a recall's StockLent) and,
 * when it leaves `location` short of committed units, of the shortfall and its resolution, stamped in order.
 */
export function movedWithShortfall(
  state: SkuState,
  now: number,
  causedBy: VectorClock | undefined,
  sku: string,
  moved: EventBody,
  location: string,
  cause: StockCause,
  candidates: readonly Reservation[],
): SkuEvent[] {
  const first = stamp(state, now, causedBy, sku, moved);
  const after = evolve(state, first);
  const at = locationStock(after, location);
  const short = at.reserved + at.sold - at.onHand;
  if (short <= 0) return [first];
  const { resolutions, resolved } = resolve(after, location, short, candidates);
  const unresolved = Math.max(0, short - resolved);
  const events: SkuEvent[] = [first];
  let running = after;
  const push = (body: EventBody, clock: VectorClock | undefined) => {
    const event = stamp(running, now, clock, sku, body);
    events.push(event);
    running = evolve(running, event);
  };
  push(shortfallBody(location, short, unresolved, cause), causedBy);
  for (const { r, body } of resolutions) push(body, causeAbout(state, r, causedBy));
  return events;
}

const shortfallBody = (location: string, short: number, unresolved: number, cause: StockCause): EventBody => ({
  type: 'StockShortfall',
  data: { location, short, unresolved, cause },
});

/** Each candidate in turn until `short` units are resolved: re-sourced where units are, else released if only held. */
function resolve(state: SkuState, location: string, short: number, candidates: readonly Reservation[]) {
  const resolutions: { r: Reservation; body: EventBody }[] = [];
  let resolved = 0;
  let running = state;
  const affected = candidates.filter((r) => r.status !== 'released' && (r.location ?? DEFAULT_LOCATION) === location).sort(giveWayOrder);
  for (const r of affected) {
    if (resolved >= short) break;
    const completed = r.status === 'completed';
    const others = locationsOf(running).filter((l) => l.location !== location);
    const to = sourceLocation(others, r.qty);
    if (to) {
      const body: EventBody = {
        type: 'ReservationResourced',
        data: { reservationId: r.reservationId, qty: r.qty, from: location, to: to.location, completed, reason: 'stock_shortfall', ...heldUnder(r) },
      };
      // Folded at once, so that the next candidate is sourced against what is left.
      running = evolve(running, stamp(running, 0, {}, running.sku ?? '', body));
      resolutions.push({ r, body });
      resolved += r.qty;
    } else if (!completed) {
      const data = { reservationId: r.reservationId, qty: r.qty, reason: 'stock_shortfall' as const, refundDue: false, ...placeOf(r), ...heldUnder(r) };
      resolutions.push({ r, body: { type: 'StockReleased', data } });
      resolved += r.qty;
    }
  }
  return { resolutions, resolved };
}
