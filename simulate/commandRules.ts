import type { Fifo } from './fifo';
import type { Command } from './protocol';
import type { World } from './world';

/*
 * Two options of an object's command loop the tail study tries (simulate/README.md), kept out
 * of shard.ts and commandLoop.ts: the product's sojourn-time admission, and sibling requests served as one batch.
 */

/** Sibling requests one batch takes at most (group commit's bound). */
const SIBLING_BATCH_MAX = 64;

/**
 * The sojourn rule's check for a buyer's command queued at `queuedAt`, run when it would start:
 * false (and `shed` called) when it waited longer than admission.maxWaitMs. Undefined under the
 * depth rule (admitted when it arrived).
 */
export function sojournCheck(world: World, queuedAt: number, shed: () => void): (() => boolean) | undefined {
  const { rule, maxWaitMs } = world.scenario.admission;
  if (rule !== 'sojourn') return undefined;
  return () => {
    if (world.now - queuedAt <= maxWaitMs) return true;
    shed();
    return false;
  };
}

/** With borrowing.siblingBatch, the sibling requests at the head of `urgent` as one batch command (null: none, or off). */
export function siblingBatch(world: World, urgent: Fifo<Command>): Command | null {
  if (!world.scenario.borrowing.siblingBatch || !urgent.peek()?.sibling) return null;
  const batch: Command[] = [];
  while (batch.length < SIBLING_BATCH_MAX && urgent.peek()?.sibling) batch.push(urgent.shift()!);
  if (batch.length === 1) return batch[0]!;
  return {
    start: () => world.batchServiceMs(batch.length),
    run: () => batch.forEach((c) => c.run()),
    lost: () => batch.forEach((c) => c.lost()),
  };
}
