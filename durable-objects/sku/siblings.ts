/**
 * What a shard knows of its siblings while it borrows: which ones said they were empty, and how
 * many units the others had left. Memory only: after a restart a shard knows nothing and asks
 * again, which costs calls but never refuses a buyer wrongly.
 *
 * A sibling that answered "empty" records this shard as a watcher and tells it (an undrain) as
 * soon as units come back, so an empty sibling is not asked again until then and a sold-out SKU
 * costs one command per refused buyer, not one per shard. Answers and undrains travel apart: each
 * carries the sibling's undrain round, and an "empty" from a round older than an undrain already
 * heard is stale (units came back after it) and is not believed.
 */
/** A sibling that did not answer is skipped this long: a lost region must not slow every walk (ADR 0022). */
export const SIBLING_BREAKER_MS = 5_000;

export class Siblings {
  readonly #emptyAt = new Map<string, number>();
  readonly #unreachableUntil = new Map<string, number>();
  readonly #undrainedAt = new Map<string, number>();
  readonly #left = new Map<string, number>();

  /**
   * The siblings worth asking: not known empty, not unreachable lately (their units are unsellable
   * until they answer again), those with the most units left first (unknown: first).
   */
  toAsk(all: readonly string[], now = Date.now()): string[] {
    const units = (s: string) => this.#left.get(s) ?? Number.POSITIVE_INFINITY;
    return all.filter((s) => !this.#emptyAt.has(s) && !this.isUnreachable(s, now)).sort((a, b) => units(b) - units(a));
  }

  /** A probe found it answering again. */
  reachable(sibling: string): void {
    this.#unreachableUntil.delete(sibling);
  }

  isUnreachable(sibling: string, now: number): boolean {
    return (this.#unreachableUntil.get(sibling) ?? 0) > now;
  }

  /** The sibling did not answer (or not in time): skipped until `now + SIBLING_BREAKER_MS`, then tried again. */
  unreachable(sibling: string, now: number): void {
    this.#unreachableUntil.set(sibling, now + SIBLING_BREAKER_MS);
  }

  allEmpty(all: readonly string[]): boolean {
    return all.every((s) => this.#emptyAt.has(s));
  }

  /** A lend answer: `left` units remain there, as of its undrain round `round`. */
  heard(sibling: string, left: number, round: number): void {
    this.#unreachableUntil.delete(sibling);
    this.#left.set(sibling, left);
    if (left > 0 || round < (this.#undrainedAt.get(sibling) ?? 0)) this.#emptyAt.delete(sibling);
    else this.#emptyAt.set(sibling, round);
  }

  /** The sibling has units again since round `round`. */
  undrained(sibling: string, round: number): void {
    this.#undrainedAt.set(sibling, Math.max(round, this.#undrainedAt.get(sibling) ?? 0));
    const emptyAt = this.#emptyAt.get(sibling);
    if (emptyAt !== undefined && emptyAt < round) this.#emptyAt.delete(sibling);
    this.#left.delete(sibling);
  }
}
