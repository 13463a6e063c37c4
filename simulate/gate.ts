import type { Round, ShardState } from './shardState';

/**
 * Units coming back to a shard (a released hold, a transfer's leftovers, a bag returned after a
 * failure). Siblings that found this shard empty no longer ask it, and once all of a shard's
 * siblings are known empty it refuses without asking (the sold-out latch). So while any such
 * subscriber exists the units stay pending — sellable by no one, though a borrowing sibling may
 * take them — until every subscriber has acknowledged that this shard is not empty any more.
 * Then no buyer is ever refused while units are sellable somewhere.
 */
export function gain(shard: ShardState, units: number): void {
  if (units <= 0) return;
  if (shard.alive && shard.subscribers.size === 0 && !shard.round) {
    shard.sellable += units;
    shard.sku.sellable += units;
    return;
  }
  shard.pending += units;
  shard.sku.pending += units;
  if (shard.alive && !shard.round) startRound(shard);
}

/** After a restart: pending units announced again to the subscribers that had not acknowledged (the round was in memory). */
export function resumeGate(shard: ShardState): void {
  if (shard.pending > 0) startRound(shard);
}

/**
 * After a restart with failover: siblings held this shard dead and may have refused without its
 * units, so every unit it has is pending until each sibling has heard it is back (an undrain,
 * which also closes the sibling's breaker for it). Then they are sold (stranded stays 0).
 */
export function announceReturn(shard: ShardState): void {
  for (const sibling of shard.siblings) shard.subscribe(sibling);
  shard.pending += shard.sellable;
  shard.sku.pending += shard.sellable;
  shard.sku.sellable -= shard.sellable;
  shard.sellable = 0;
  startRound(shard);
}

function startRound(shard: ShardState): void {
  const targets = [...shard.subscribers];
  const round: Round = { awaiting: targets.length };
  shard.round = round;
  const announcement = ++shard.announcements;
  if (targets.length === 0) commit(shard, round);
  for (const [target, subscription] of targets) undrain(shard, round, announcement, target, subscription);
}

/** Tells a subscriber that `shard` is not empty any more; it answers once it has taken note. */
function undrain(shard: ShardState, round: Round, announcement: number, target: ShardState, subscription: number): void {
  const world = shard.world;
  world.metrics.undrains++;
  const ack = () => acknowledged(shard, round, target, subscription);
  // A target that failed restarts knowing nothing of its siblings: its failure is as good as an acknowledgement.
  const { siblingTimeoutMs } = world.scenario.failure;
  world.clock.after(world.oneWayMs(shard.location, target.location), () => {
    if (!target.alive) return world.clock.after(siblingTimeoutMs, ack);
    target.enqueueUrgent({
      sibling: true,
      start: () => world.serviceMs(),
      run: () => {
        target.unconfirmed.add(shard);
        target.heard.set(shard, Math.max(target.heard.get(shard) ?? 0, announcement));
        if (world.scenario.failover) target.trust(shard);
        world.clock.after(world.oneWayMs(target.location, shard.location), ack);
        target.ensureWalk();
      },
      lost: () => world.clock.after(siblingTimeoutMs, ack),
    });
  });
}

/** A subscriber took note: forgotten, unless it subscribed again meanwhile. */
function acknowledged(shard: ShardState, round: Round, target: ShardState, subscription: number): void {
  if (shard.round !== round) return;
  if (shard.subscribers.get(target) === subscription) shard.subscribers.delete(target);
  if (--round.awaiting === 0) commit(shard, round);
}

/** Every subscriber told: pending units become sellable, and buyers waiting for them are decided. */
function commit(shard: ShardState, round: Round): void {
  const world = shard.world;
  shard.enqueueUrgent({
    start: () => world.settleMs(shard.parked.length),
    run: () => {
      if (shard.round !== round) return;
      shard.round = null;
      if (shard.pending > 0 && shard.subscribers.size > 0) return startRound(shard);
      shard.sellable += shard.pending;
      shard.sku.sellable += shard.pending;
      shard.sku.pending -= shard.pending;
      shard.pending = 0;
      shard.settleParked({ units: 0 }, false);
      shard.ensureWalk();
    },
    lost: () => {},
  });
}
