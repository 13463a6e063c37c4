import type { Fifo } from './fifo';
import type { Metrics } from './metrics';
import type { Command } from './protocol';
import type { World } from './world';

/*
 * Group commit inside the object (ADR 0021, durable-objects/sku/commandQueue.ts), the product's
 * rule since the Worker's lanes were retired: the Worker sends each reserve and complete alone;
 * the object, when it becomes free, takes the reserves and completes at the front of its buyer
 * queue, up to B, and decides them as one command whose service time is the batch's. Sibling
 * traffic, alarms and flushes stay one command each; a reserve that must borrow parks and walks
 * as alone (it never holds a group). Admission still counts and sheds each command as alone.
 */

/** Whether this run groups in the object (groupCommit.where 'object' and B > 1). */
export const groupsInObject = (world: World): boolean => world.scenario.groupCommit.where === 'object' && world.scenario.groupCommit.max > 1;

/** A command that waits one turn of the event loop: calls delivered at the same instant join its group. */
export const TURN: Command = { start: () => 0, run: () => {}, lost: () => {} };

/** Whether an idle object waits one turn before taking its next command: a reserve or complete at the front, nothing urgent. */
export const waitsTurn = (world: World, urgent: Fifo<Command>, lane: Fifo<Command>): boolean => groupsInObject(world) && urgent.length === 0 && lane.peek()?.join !== undefined;

/**
 * The buyer queue's next command: the front one alone or, grouping in the object, the reserves and
 * completes at the front (up to B) as one. Commands the sojourn rule sheds are dropped (they have
 * answered 503); `weigh` adjusts the object's depth beyond one per command (a group counts each member).
 */
export function nextFromLane(world: World, lane: Fifo<Command>, weigh: (delta: number) => void): Command | undefined {
  const admitted = (c: Command) => {
    if (!c.admit || c.admit()) return true;
    weigh(1 - (c.weight ?? 1));
    return false;
  };
  let first = lane.shift();
  while (first && !admitted(first)) first = lane.shift();
  if (!first?.join || !groupsInObject(world)) return first;
  const members = [first];
  while (members.length < world.scenario.groupCommit.max && lane.peek()?.join) {
    const next = lane.shift()!;
    if (admitted(next)) members.push(next);
  }
  world.metrics.group(members.length);
  if (members.length === 1) return first;
  weigh(members.length - 1);
  return {
    weight: members.length,
    start: () => {
      for (const m of members) m.join!();
      return world.batchServiceMs(members.length);
    },
    run: () => members.forEach((m) => m.run()),
    lost: () => members.forEach((m) => m.lost()),
  };
}

/** Commands per group commit and the largest: the Worker's calls (lanes), or the object's groups. */
export function batchSizes(world: World): { mean: number; max: number } {
  const m: Metrics = world.metrics;
  return world.scenario.groupCommit.where === 'object'
    ? { mean: m.groupedCommands / Math.max(1, m.groups), max: m.maxGroup }
    : { mean: m.reservesInCalls / Math.max(1, m.reserveCalls), max: m.maxReservesInCall };
}
