import { streamsOf } from '../domain/sku';

/**
 * What an isolate remembers of the objects' own sold-out refusals (ADR 0020): per stream (a SKU or
 * one of its shards) when its object last refused a reserve with nothing available. A SKU is sold
 * out at the edge while every stream of its layout has such a refusal younger than the window,
 * while one shard refused a single unit (a shard refuses only after its siblings had none to lend:
 * the whole SKU lacked one unit), or while another isolate of the location said so (`sawSkuSoldOut`,
 * from the Cache API). Times are
 * when the refused request was sent: the refusal was decided no earlier, so the window bounds how
 * long a unit that came back can be refused after its return. Pure: `now` is passed in.
 */
export class SoldOutMemory {
  /** Stream → when the request its object refused with nothing available was sent. */
  readonly #streams = new Map<string, number>();
  /** SKU → when a whole-SKU sold-out was decided (oldest of its shards' refusals), as told by the cache. */
  readonly #skus = new Map<string, number>();

  constructor(
    readonly windowMs: number,
    private readonly maxKept = 10_000,
  ) {}

  /**
   * An object refused a reserve on `stream` with nothing available; the request was sent at `sentAt`.
   * `wholeSku`: the refusal speaks for every shard (one unit refused after the shard's siblings had none).
   */
  refused(stream: string, sentAt: number, wholeSku?: { sku: string }): void {
    keep(this.#streams, stream, Math.max(sentAt, this.#streams.get(stream) ?? 0), this.maxKept);
    if (wholeSku) this.sawSkuSoldOut(wholeSku.sku, sentAt);
  }

  /** An object granted a reserve (or units came back through this isolate): the SKU is not sold out. */
  forget(sku: string, streams: readonly string[]): void {
    this.#skus.delete(sku);
    for (const s of streams) this.#streams.delete(s);
  }

  /** Another isolate's word (through the cache) that the whole SKU was sold out at `at`. */
  sawSkuSoldOut(sku: string, at: number): void {
    keep(this.#skus, sku, Math.max(at, this.#skus.get(sku) ?? 0), this.maxKept);
  }

  /**
   * Since when the SKU is known sold out, if it is within the window: the oldest of its streams'
   * fresh refusals (every stream of the layout must have one), or the cache's word; else null.
   */
  soldOutSince(sku: string, shards: number, now: number): number | null {
    const fresh = (at: number | undefined) => at !== undefined && now - at <= this.windowMs;
    let oldest = Infinity;
    for (const stream of streamsOf(sku, shards)) {
      const at = this.#streams.get(stream);
      if (!fresh(at)) {
        oldest = -1;
        break;
      }
      oldest = Math.min(oldest, at!);
    }
    if (oldest >= 0) return oldest;
    const told = this.#skus.get(sku);
    return fresh(told) ? told! : null;
  }
}

/** A bounded map: the oldest entry goes first (a flash sale has a few hot SKUs, not thousands). */
function keep(map: Map<string, number>, key: string, value: number, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}
