/**
 * Remembers accepted signatures until their timestamp expires anyway, so a captured push cannot
 * be replayed within the 300 s window. In memory: one bridge instance sees its own pushes; a
 * replay against a restarted bridge re-appends events consumers already dedupe by (sku, version).
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();

  /** True the first time an id is offered before it expires. */
  accept(id: string, expiresAt: number, now: number): boolean {
    this.#forgetExpired(now);
    if (this.#seen.has(id)) return false;
    this.#seen.set(id, expiresAt);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Ids arrive in timestamp order give or take clock skew, so expired ones sit at the front. */
  #forgetExpired(now: number): void {
    for (const [id, expiresAt] of this.#seen) {
      if (expiresAt > now) return;
      this.#seen.delete(id);
    }
  }
}
