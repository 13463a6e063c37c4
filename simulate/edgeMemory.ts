import type { EdgeMemory } from './params';
import type { Shard } from './shard';
import type { Sku } from './sku';
import type { World } from './world';

/**
 * The Worker isolates' memory of sold-out SKUs (ADR 0020), as `src/api/soldOut.ts` keeps it: per
 * isolate, per shard, when the last request that shard refused for stock was sent. A SKU is
 * refused at the edge while every one of its shards has such a refusal younger than the window; a
 * grant clears it. Each request lands on a random isolate of `isolates`. The Cache API, which
 * shares the memory among a location's isolates, is not modelled: each isolate learns only from
 * its own answers, so the model sends more buyers to the objects than the edge does (conservative).
 */
export class EdgeMemories {
  /** isolate → shard → when its refused request was sent. */
  private readonly refusals: Map<Shard, number>[];

  constructor(
    private readonly world: World,
    private readonly memory: EdgeMemory,
  ) {
    this.refusals = Array.from({ length: memory.isolates }, () => new Map());
  }

  /** The isolate a request lands on. */
  isolate(): number {
    return Math.floor(this.world.random.next() * this.memory.isolates);
  }

  soldOut(isolate: number, sku: Sku, now: number): boolean {
    const known = this.refusals[isolate]!;
    return sku.shards.every((shard) => {
      const at = known.get(shard);
      return at !== undefined && now - at <= this.memory.windowMs;
    });
  }

  refused(isolate: number, shard: Shard, sentAt: number): void {
    const known = this.refusals[isolate]!;
    known.set(shard, Math.max(sentAt, known.get(shard) ?? sentAt));
  }

  granted(isolate: number, sku: Sku): void {
    const known = this.refusals[isolate]!;
    for (const shard of sku.shards) known.delete(shard);
  }
}
