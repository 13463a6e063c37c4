/** Codes that another attempt cannot change: the object has no such SKU, or is behind the log. */
const PERMANENT = new Set(['sku_not_found', 'invalid_command']);

export type SkuFailure = { sku: string; code: string; message: string; attempts: number };
type Entry = SkuFailure & { retryAt: number; permanent: boolean };

export type RetryPolicy = { attempts: number; baseMs: number; maxMs: number };

/**
 * The SKUs whose view a rebuild could not get written, why, and how often in a row: each is
 * retried alone, with exponential backoff, a bounded number of times. A SKU leaves as soon as an
 * attempt succeeds (or is merely deferred).
 */
export class SkuFailures {
  readonly #policy: RetryPolicy;
  readonly #entries = new Map<string, Entry>();

  constructor(policy: RetryPolicy) {
    this.#policy = policy;
  }

  failed(sku: string, code: string, message: string, now: number): void {
    const attempts = (this.#entries.get(sku)?.attempts ?? 0) + 1;
    const backoff = Math.min(this.#policy.maxMs, this.#policy.baseMs * 2 ** (attempts - 1));
    this.#entries.set(sku, { sku, code, message, attempts, retryAt: now + backoff, permanent: PERMANENT.has(code) });
  }

  succeeded(sku: string): void {
    this.#entries.delete(sku);
  }

  /** From here on every SKU gets the policy's attempts afresh (what failed stays listed until it succeeds). */
  resetAttempts(): void {
    for (const entry of this.#entries.values()) entry.attempts = 0;
  }

  /** Failed SKUs with attempts left whose backoff is over. */
  due(now: number): string[] {
    return [...this.#entries.values()].filter((e) => this.#retrying(e) && e.retryAt <= now).map((e) => e.sku);
  }

  /** When the next retry falls due; null if no SKU has attempts left. */
  nextRetryAt(): number | null {
    const times = [...this.#entries.values()].filter((e) => this.#retrying(e)).map((e) => e.retryAt);
    return times.length > 0 ? Math.min(...times) : null;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The first `limit` failures, for the status (a rebuild over many SKUs must not grow it without bound). */
  list(limit: number): SkuFailure[] {
    return [...this.#entries.values()].slice(0, limit).map(({ sku, code, message, attempts }) => ({ sku, code, message, attempts }));
  }

  #retrying(entry: Entry): boolean {
    return !entry.permanent && entry.attempts < this.#policy.attempts;
  }
}

/** A rebuild that could not get every SKU's view written: named, with each one's last error. */
export class SkuViewsFailedError extends Error {
  override readonly name = 'SkuViewsFailedError';
  constructor(failures: SkuFailures, attempts: number) {
    const shown = failures.list(NAMED_IN_ERROR);
    const named = shown.map((f) => `${f.sku} (${f.code}: ${f.message})`).join(', ');
    const more = failures.size > shown.length ? ` and ${failures.size - shown.length} more` : '';
    super(`${failures.size} SKU view(s) could not be written to the shadow after up to ${attempts} attempt(s) each: ${named}${more}`);
  }
}

const NAMED_IN_ERROR = 20;
