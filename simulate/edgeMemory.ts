import type { EdgeMemory } from './params';
import type { Shard } from './shard';
import type { Sku } from './sku';
import type { World } from './world';

/**
 * The Worker isolates' memory of sold-out SKUs (ADR 0020), as `src/api/soldOut.ts` keeps it: per
 * isolate, per shard, when the last request that shard refused for stock was sent. A SKU is
 * refused at the edge while every one of its shards has such a refusal younger than the window, or
 * one shard refused a single unit within it (it found no sibling with one to lend); a grant clears it. Each request lands on a random isolate of `isolates`. The Cache API, which
 * shares the memory among a location's isolates, is not modelled: each isolate learns only from
 * its own answers, so the model sends more buyers to the objects than the edge does (conservative).
 */
export class EdgeMemories {
  /** isolate → shard → when its refused request was sent. */
  private readonly refusals: Map<Shard, number>[];
  /** isolate → SKU → when a single-unit refusal (the whole SKU out) was sent. */
  private readonly skuOut: Map<Sku, number>[];

  constructor(
    private readonly world: World,
    private readonly memory: EdgeMemory,
  ) {
    // Regions modelled: each region's edge has its own isolates.
    const count = memory.isolates * (world.scenario.regions?.names.length ?? 1);
    this.refusals = Array.from({ length: count }, () => new Map());
    this.skuOut = Array.from({ length: count }, () => new Map());
  }

  /** The isolate a request from an edge in `region` lands on. */
  isolate(region = 0): number {
    return region * this.memory.isolates + Math.floor(this.world.random.next() * this.memory.isolates);
  }

  soldOut(isolate: number, sku: Sku, now: number): boolean {
    const fresh = (at: number | undefined) => at !== undefined && now - at <= this.memory.windowMs;
    if (fresh(this.skuOut[isolate]!.get(sku))) return true;
    const known = this.refusals[isolate]!;
    return sku.shards.every((shard) => {
      const at = known.get(shard);
      return at !== undefined && now - at <= this.memory.windowMs;
    });
  }

  refused(isolate: number, sku: Sku, shard: Shard, sentAt: number, qty: number): void {
    const known = this.refusals[isolate]!;
    known.set(shard, Math.max(sentAt, known.get(shard) ?? sentAt));
    if (qty === 1) this.skuOut[isolate]!.set(sku, Math.max(sentAt, this.skuOut[isolate]!.get(sku) ?? sentAt));
  }

  granted(isolate: number, sku: Sku): void {
    const known = this.refusals[isolate]!;
    for (const shard of sku.shards) known.delete(shard);
    this.skuOut[isolate]!.delete(sku);
  }
}
