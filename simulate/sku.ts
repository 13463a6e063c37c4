import type { SkuSpec } from './params';
import { ReadModel } from './readModel';
import { Shard } from './shard';
import type { SkuLedger } from './shardState';
import type { World } from './world';

/** A stable 32-bit hash of a customer id (murmur3's finaliser): which shard serves the customer. */
export function customerHash(customer: number): number {
  let h = customer >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * One SKU: its shards and the ledger the model checks them against. Units are always in exactly
 * one place: sellable in a shard, pending in a shard (released, waiting to be announced to
 * siblings that believe the SKU sold out), in transit between shards, reserved, or sold.
 */
export class Sku implements SkuLedger {
  readonly shards: Shard[];
  readonly view: ReadModel;
  readonly onHand: number;
  readonly limitPerCustomer: number;
  sellable: number;
  pending = 0;
  inTransit = 0;
  reserved = 0;
  sold = 0;
  soldOutAt: number | null = null;
  /** Units granted beyond the stock, at worst. */
  oversold = 0;
  /** Units sellable somewhere at the instant a buyer was refused insufficient_stock, summed over refusals. */
  stranded = 0;
  /** Units a customer held or bought beyond limitPerCustomer, at worst (failover may re-home a customer), and the customers over it. */
  limitOvershoot = 0;
  readonly overLimit = new Set<number>();

  constructor(
    private readonly world: World,
    spec: SkuSpec,
  ) {
    this.onHand = spec.stock;
    this.sellable = spec.stock;
    this.limitPerCustomer = spec.limitPerCustomer;
    this.view = new ReadModel(spec.stock);
    const base = Math.floor(spec.stock / spec.shards);
    const extra = spec.stock % spec.shards;
    const locations = world.scenario.regions?.names.length ?? world.scenario.locations;
    this.shards = Array.from({ length: spec.shards }, (_, i) => new Shard(world, this, i, i % locations, base + (i < extra ? 1 : 0)));
    for (const shard of this.shards) shard.meet(this.shards);
  }

  route(customer: number): Shard {
    return this.shards[customerHash(customer) % this.shards.length]!;
  }

  /** What the read model publishes: onHand − reserved − sold. */
  get available(): number {
    return this.onHand - this.reserved - this.sold;
  }

  reservedUnits(qty: number): void {
    this.reserved += qty;
    this.oversold = Math.max(this.oversold, this.reserved + this.sold - this.onHand);
    if (this.soldOutAt === null && this.reserved + this.sold === this.onHand) this.soldOutAt = this.world.now;
  }

  completedUnits(qty: number): void {
    this.reserved -= qty;
    this.sold += qty;
  }

  releasedUnits(qty: number): void {
    this.reserved -= qty;
  }

  /**
   * A refusal of `qty` while `inHand` units sat uncounted in the refusing shard's hands. With
   * failover, units in a failed shard are unsellable until it returns (and announces them).
   */
  refused(qty: number, inHand: number): void {
    const lost = this.world.scenario.failover ? this.shards.reduce((sum, s) => sum + (s.alive ? 0 : s.sellable), 0) : 0;
    const sellable = this.sellable - lost + inHand;
    if (sellable >= qty) this.stranded += sellable;
  }

  granted(customer: number): void {
    let units = 0;
    for (const shard of this.shards) units += shard.customers.get(customer) ?? 0;
    if (units <= this.limitPerCustomer) return;
    this.overLimit.add(customer);
    this.limitOvershoot = Math.max(this.limitOvershoot, units - this.limitPerCustomer);
  }

  /** Every unit accounted for, in the totals and shard by shard. */
  conserved(): boolean {
    const shards = this.shards.reduce(
      (sum, s) => ({ sellable: sum.sellable + s.sellable, pending: sum.pending + s.pending, held: sum.held + s.heldAndSoldUnits() }),
      { sellable: 0, pending: 0, held: 0 },
    );
    return (
      this.onHand === this.sellable + this.pending + this.inTransit + this.reserved + this.sold &&
      shards.sellable === this.sellable &&
      shards.pending === this.pending &&
      shards.held === this.reserved + this.sold &&
      this.sellable >= 0 &&
      this.pending >= 0 &&
      this.inTransit >= 0
    );
  }
}
