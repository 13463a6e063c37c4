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
 *
 * Levels travel by gossip (ADR 0023): a lend request carries its borrower's level, an answer the
 * lender's and every level the lender believes, each with when it was true; the fresher is kept.
 * Levels only order a walk, never decide: a stale one costs a call, not a wrong answer.
 */
/** A sibling that did not answer is skipped this long: a lost region must not slow every walk (ADR 0022). */
export const SIBLING_BREAKER_MS = 5_000;

/** A sibling's units, as of when (its own clock): what gossip carries. */
export type Level = { units: number; asOf: number };
/** One level a lend answer carries: the sibling, its units, as of when. */
export type Belief = Level & { sibling: string };

export class Siblings {
  readonly #emptyAt = new Map<string, number>();
  readonly #unreachableUntil = new Map<string, number>();
  readonly #undrainedAt = new Map<string, number>();
  readonly #levels = new Map<string, Level>();

  /**
   * The siblings worth asking: not known empty, not unreachable lately (their units are unsellable
   * until they answer again); those believed to hold most first (never heard of: first, as at the
   * start of a sale every shard holds its share), then the ones `near` (this shard's region), then
   * in the order of `all` (the ring from this shard).
   */
  toAsk(all: readonly string[], now = Date.now(), near: (sibling: string) => boolean = () => false): string[] {
    const units = (s: string) => this.#levels.get(s)?.units ?? Number.POSITIVE_INFINITY;
    return all.filter((s) => !this.#emptyAt.has(s) && !this.isUnreachable(s, now)).sort((a, b) => units(b) - units(a) || Number(near(b)) - Number(near(a)));
  }

  /** Last heard of, directly or by gossip, with no units (a walk asks those all at once); never heard of is not. */
  believedEmpty(sibling: string): boolean {
    return this.#levels.get(sibling)?.units === 0;
  }

  /** `sibling` held `units` at `asOf`, unless something fresher is known of it. */
  learn(sibling: string, units: number, asOf: number): void {
    if ((this.#levels.get(sibling)?.asOf ?? Number.NEGATIVE_INFINITY) > asOf) return;
    this.#levels.set(sibling, { units, asOf });
  }

  /** What a lend answer carries: this shard's own level now, then every level it believes. */
  beliefs(self: string, units: number, now: number): Belief[] {
    return [{ sibling: self, units, asOf: now }, ...[...this.#levels].map(([sibling, level]) => ({ sibling, ...level }))];
  }

  /** The levels a lender's answer carried (its own among them), except this shard's own. */
  merge(self: string, beliefs: readonly Belief[]): void {
    for (const { sibling, units, asOf } of beliefs) if (sibling !== self) this.learn(sibling, units, asOf);
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
  heard(sibling: string, left: number, round: number, now = Date.now()): void {
    this.#unreachableUntil.delete(sibling);
    this.learn(sibling, left, now);
    if (left > 0 || round < (this.#undrainedAt.get(sibling) ?? 0)) this.#emptyAt.delete(sibling);
    else this.#emptyAt.set(sibling, round);
  }

  /** The sibling has units again since round `round` (`level`: how many, and when). */
  undrained(sibling: string, round: number, level?: Level): void {
    this.#undrainedAt.set(sibling, Math.max(round, this.#undrainedAt.get(sibling) ?? 0));
    const emptyAt = this.#emptyAt.get(sibling);
    if (emptyAt !== undefined && emptyAt < round) this.#emptyAt.delete(sibling);
    if (level) this.learn(sibling, level.units, level.asOf);
    else this.#levels.delete(sibling);
  }
}
