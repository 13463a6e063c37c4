import * as hints from './hints';
import { UNAVAILABLE } from './protocol';
import type { InHand, ShardState, Walk } from './shardState';

/**
 * Starts borrowing for the buyers parked at `shard` unless a walk is under way, the shard knows
 * its siblings are empty (latched), or its pending units will cover them once announced.
 * At most one walk per shard, and it asks only siblings not known to be empty: buyers arriving
 * meanwhile wait for it, so the cost follows the shortage, not the number of buyers. It keeps up
 * to `walkFanout` transfer requests out at once (1: one sibling after another).
 */
export function ensureWalk(shard: ShardState): void {
  if (shard.walk || shard.latched || shard.parked.length === 0 || !shard.alive) return;
  const needed = shard.parked.reduce((sum, p) => sum + p.request.qty, 0);
  const deficit = needed - shard.sellable - shard.pending;
  if (deficit <= 0) return;
  const walk: Walk = { incarnation: shard.incarnation, deficit, order: walkOrder(shard), next: 0, bag: [], bagUnits: 0, unreachable: false, inFlight: 0, done: false, asked: new Set() };
  shard.walk = walk;
  shard.world.metrics.walks++;
  step(shard, walk);
}

/** Siblings believed to hold most first (hints come back with every transfer), then the ring. */
function walkOrder(shard: ShardState): ShardState[] {
  const n = shard.siblings.length + 1;
  const ring = (s: ShardState) => (s.index - shard.index + n) % n;
  // Regions modelled: among siblings believed to hold as much, the nearest (or those of its region) first.
  const rtt = shard.world.scenario.regions?.rttMs[shard.location];
  const byRegion = shard.world.scenario.borrowing.near === 'region';
  const far = (s: ShardState) => (byRegion ? Number(s.location !== shard.location) : (rtt?.[s.location] ?? 0));
  return [...shard.unconfirmed].sort((a, b) => (shard.hints.get(b) ?? 0) - (shard.hints.get(a) ?? 0) || far(a) - far(b) || ring(a) - ring(b));
}

/** Asks the next siblings until `walkFanout` requests are out; ends the walk when none is out and none is left. */
function step(shard: ShardState, walk: Walk): void {
  const { walkFanout: fanout, borrowing } = shard.world.scenario;
  // Siblings believed empty come last in the order; with emptyFanout they are all asked at once,
  // once the walk is past those believed to hold units (whose answer may cover the deficit).
  const believedEmpty = (s: ShardState | undefined) => s !== undefined && borrowing.emptyFanout && (shard.hints.get(s) ?? 0) === 0;
  const burst = () => believedEmpty(walk.order[walk.next]) && believedEmpty(walk.order[walk.next - 1]);
  while (walk.next < walk.order.length && (walk.inFlight < fanout || burst())) {
    const sibling = walk.order[walk.next++]!;
    if (walk.asked.has(sibling)) continue;
    if (shard.isSuspect(sibling)) {
      // Failover: a sibling held dead holds no sellable units (its region's are sold when it returns).
      if (!shard.world.scenario.failover) walk.unreachable = true;
      continue;
    }
    walk.inFlight++;
    walk.asked.add(sibling);
    visit(shard, walk, sibling);
  }
  if (walk.inFlight === 0) finish(shard, walk);
}

/** One transfer request: a command on the sibling, which gives what it can spare. */
function visit(shard: ShardState, walk: Walk, sibling: ShardState): void {
  const world = shard.world;
  const remaining = walk.deficit - walk.bagUnits;
  world.metrics.visits++;
  const gossip = world.scenario.borrowing.hintGossip;
  const level = shard.sellable + shard.pending;
  const askedAt = world.now;
  world.clock.after(world.oneWayMs(shard.location, sibling.location), () => {
    if (!sibling.alive) return unreachable(shard, walk, sibling);
    sibling.enqueueUrgent({
      sibling: true,
      start: () => world.serviceMs(),
      run: () => {
        if (gossip) hints.learn(sibling, shard, level, askedAt);
        const units = donate(sibling, shard, remaining);
        const left = sibling.sellable + sibling.pending;
        const announcements = sibling.announcements;
        const heard = gossip ? hints.snapshot(sibling) : null;
        world.clock.after(world.oneWayMs(sibling.location, shard.location), () => {
          if (heard) hints.merge(shard, heard);
          received(shard, walk, sibling, units, left, announcements);
        });
      },
      lost: () => unreachable(shard, walk, sibling),
    });
  });
}

/** A call into a failed location fails after a while; the sibling is skipped for some time. */
function unreachable(shard: ShardState, walk: Walk, sibling: ShardState): void {
  shard.world.clock.after(shard.world.scenario.failure.siblingTimeoutMs, () => {
    if (shard.incarnation !== walk.incarnation) return;
    walk.inFlight--;
    shard.suspect(sibling);
    if (walk.done) return;
    if (!shard.world.scenario.failover) walk.unreachable = true;
    else askRegionAtOnce(shard, walk, sibling.location);
    step(shard, walk);
  });
}

/**
 * Failover: a sibling that could not be reached may be one of a lost region's. The walk asks that
 * region's other siblings at once (each still has its own bound and breaker), so finding a lost
 * region costs one bound, not one per shard in it.
 */
function askRegionAtOnce(shard: ShardState, walk: Walk, location: number): void {
  for (const s of walk.order.slice(walk.next)) {
    if (s.location !== location || walk.asked.has(s) || shard.isSuspect(s)) continue;
    walk.inFlight++;
    walk.asked.add(s);
    visit(shard, walk, s);
  }
}

/**
 * The donor gives the remaining deficit, or half of what it holds if that is more (so the
 * receiver does not come back at once), pending units first. A donor left empty subscribes the
 * receiver: it will be told before any unit it gets back becomes sellable.
 */
function donate(donor: ShardState, receiver: ShardState, remaining: number): number {
  const has = donor.sellable + donor.pending;
  const units = Math.min(has, Math.max(remaining, Math.ceil(has / 2)));
  const fromPending = Math.min(donor.pending, units);
  donor.pending -= fromPending;
  donor.sku.pending -= fromPending;
  donor.sellable -= units - fromPending;
  donor.sku.sellable -= units - fromPending;
  donor.sku.inTransit += units;
  if (units > 0) {
    donor.world.metrics.transfers++;
    donor.world.metrics.unitsMoved += units;
  }
  if (has - units === 0) donor.subscribe(receiver);
  return units;
}

/**
 * A donor's answer. One left empty is known empty from now on — unless an undrain it sent after
 * this answer overtook it on the network (`announcements` tells). An answer to a walk that already
 * has what it needed (several asked at once) is taken in as units coming back.
 */
function received(shard: ShardState, walk: Walk, donor: ShardState, units: number, left: number, announcements: number): void {
  if (shard.incarnation !== walk.incarnation) return returnUnits(donor, units);
  walk.inFlight--;
  hints.learn(shard, donor, left, shard.world.now);
  if (left === 0 && (shard.heard.get(donor) ?? 0) <= announcements) shard.unconfirmed.delete(donor);
  if (walk.done) return takeIn(shard, donor, units);
  if (units > 0) {
    walk.bag.push({ donor, units });
    walk.bagUnits += units;
  }
  if (walk.bagUnits >= walk.deficit) finish(shard, walk);
  else step(shard, walk);
}

/**
 * The receiving side of the transfers: one command that takes the units in and decides every
 * waiting buyer. A shard refuses only when every sibling is known empty (latched); when a
 * sibling could not be reached, those it cannot serve get 503 instead.
 */
function finish(shard: ShardState, walk: Walk): void {
  const world = shard.world;
  walk.done = true;
  shard.enqueueUrgent({
    start: () => world.settleMs(shard.parked.length),
    run: () => {
      shard.walk = null;
      shard.sku.inTransit -= walk.bagUnits;
      const inHand: InHand = { units: walk.bagUnits };
      settleParked(shard, inHand, walk.unreachable && walk.bagUnits < walk.deficit);
      shard.gain(inHand.units);
      ensureWalk(shard);
    },
    // The shard failed holding the bag: abandonWalk returns it to the donors.
    lost: () => {},
  });
}

/**
 * Decides the buyers parked at `shard` (refusing only when it is latched); when a sibling could
 * not be reached, those the shard cannot serve get 503 with Retry-After rather than a refusal
 * that might be wrong. The rest stay parked.
 */
export function settleParked(shard: ShardState, inHand: InHand, siblingUnreachable: boolean): void {
  const waiting = shard.parked;
  shard.parked = [];
  for (const p of waiting) {
    const answer = shard.decide(p.request, inHand, shard.refusable);
    if (answer) p.reply(answer);
    else if (siblingUnreachable && inHand.units + shard.sellable + shard.pending < p.request.qty) p.reply(UNAVAILABLE);
    else shard.parked.push(p);
  }
}

/**
 * Units that came after their walk had what it needed: one command takes them in as units coming
 * back (gate.ts) and decides the buyers waiting meanwhile. Lost with the shard, they go back.
 */
function takeIn(shard: ShardState, donor: ShardState, units: number): void {
  if (units === 0) return;
  const world = shard.world;
  world.metrics.lateTransfers++;
  world.metrics.lateUnits += units;
  shard.enqueueUrgent({
    start: () => world.settleMs(shard.parked.length),
    run: () => {
      shard.sku.inTransit -= units;
      shard.gain(units);
      if (!shard.walk) shard.settleParked({ units: 0 }, false);
      shard.ensureWalk();
    },
    lost: () => returnUnits(donor, units),
  });
}

/** The receiver failed: what it had collected goes back to the donors once they notice. */
export function abandonWalk(walk: Walk): void {
  for (const { donor, units } of walk.bag) returnUnits(donor, units);
}

function returnUnits(donor: ShardState, units: number): void {
  if (units === 0) return;
  const world = donor.world;
  world.clock.after(world.scenario.failure.siblingTimeoutMs, () => {
    donor.sku.inTransit -= units;
    donor.gain(units);
  });
}
