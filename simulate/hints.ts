import type { ShardState } from './shardState';

/*
 * What a shard believes its siblings hold: only the order a walk asks them in (and, with
 * emptyFanout, which it asks at once) depends on it, never a decision, so stale beliefs cost
 * time, not safety. Each belief carries when it was true; with hintGossip a transfer request
 * carries the receiver's level and its answer the donor's beliefs, the fresher one kept.
 */

export type Belief = readonly [sibling: ShardState, units: number, asOf: number];

/** `shard` learns that `sibling` held `units` at `asOf`, unless it knows something fresher. */
export function learn(shard: ShardState, sibling: ShardState, units: number, asOf: number): void {
  if (sibling === shard || (shard.hintsAsOf.get(sibling) ?? -Infinity) > asOf) return;
  shard.hints.set(sibling, units);
  shard.hintsAsOf.set(sibling, asOf);
}

/** What `shard` believes of its siblings, and itself as of now: a donor's answer carries it. */
export function snapshot(shard: ShardState): Belief[] {
  const beliefs: Belief[] = [[shard, shard.sellable + shard.pending, shard.world.now]];
  for (const [sibling, units] of shard.hints) beliefs.push([sibling, units, shard.hintsAsOf.get(sibling) ?? -Infinity]);
  return beliefs;
}

export function merge(shard: ShardState, beliefs: readonly Belief[]): void {
  for (const [sibling, units, asOf] of beliefs) learn(shard, sibling, units, asOf);
}
