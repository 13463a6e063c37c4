/**
 * Remembers accepted signatures until their timestamp expires anyway, so a captured push cannot
 * be replayed within the 300 s window. In memory, per replica, on purpose (ADR 0006): a replay
 * against another replica (or a restarted one) is appended once more there, and only that. The
 * signature covers the body, so what it appends is the object's own events under the versions
 * they already have; every consumer drops them by (sku, version) or (checkout, version) (invariant idempotent-writes),
 * as it must for the duplicates Kafka and failover make anyway (test/bridge/ingestReplay.spec.ts).
 *
 * Bounded (invariant bounded-by-live-work): signatures are filed by when they expire, in buckets of BUCKET_MS dropped
 * whole once past, and at most `maxEntries` are kept. A flood beyond that is refused as
 * overload (invariant overload-is-an-answer: 503 with Retry-After) rather than remembered without bound or forgotten
 * early (which would let a replay through). Each signature is kept as a 52-bit fingerprint
 * (a number, ~50 bytes with its set entry, against ~120 for the hex string): two valid HMACs
 * sharing one is a 1 in 2^52 event, and its only effect would be one push refused and retried.
 */
export type ReplayVerdict = 'accepted' | 'replayed' | 'full';

/** Expiry buckets: a signature lives at most this much past its expiry; ~21 buckets cover the ±300 s window. */
const BUCKET_MS = 30_000;
/** About 670 pushes/s sustained over the window, ~10 MB. */
export const DEFAULT_MAX_REPLAY_ENTRIES = 200_000;

export class ReplayGuard {
  /** Bucket (its end, in units of BUCKET_MS) → fingerprints of the signatures expiring in it. */
  readonly #buckets = new Map<number, Set<number>>();
  #size = 0;

  constructor(readonly maxEntries = DEFAULT_MAX_REPLAY_ENTRIES) {}

  /** `accepted` the first time an id is offered before it expires; `full` when no more can be remembered. */
  accept(id: string, expiresAt: number, now: number): ReplayVerdict {
    this.#forgetExpired(now);
    const print = fingerprint(id);
    for (const prints of this.#buckets.values()) if (prints.has(print)) return 'replayed';
    if (this.#size >= this.maxEntries) return 'full';
    const bucket = Math.ceil(expiresAt / BUCKET_MS);
    let prints = this.#buckets.get(bucket);
    if (!prints) this.#buckets.set(bucket, (prints = new Set()));
    prints.add(print);
    this.#size++;
    return 'accepted';
  }

  get size(): number {
    return this.#size;
  }

  /** When room frees up: the end of the oldest bucket, in whole seconds (at least 1). */
  retryAfterSeconds(now: number): number {
    let oldest = Infinity;
    for (const bucket of this.#buckets.keys()) oldest = Math.min(oldest, bucket * BUCKET_MS);
    return Number.isFinite(oldest) ? Math.max(1, Math.ceil((oldest - now) / 1000)) : 1;
  }

  #forgetExpired(now: number): void {
    for (const [bucket, prints] of this.#buckets) {
      if (bucket * BUCKET_MS > now) continue;
      this.#buckets.delete(bucket);
      this.#size -= prints.size;
    }
  }
}

/** The first 52 bits of the signature (hex), exact in a double. */
const fingerprint = (id: string): number => parseInt(id.slice(0, 13).padEnd(13, '0'), 16);
