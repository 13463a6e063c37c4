import type { GenerationsView } from './view';

export type FetchGenerations = () => Promise<GenerationsView>;

export type CachePolicy = {
  /** How long a copy is trusted without asking: a switch reaches every reader within it. */
  freshMs: number;
  /** How long a reader waits for the registry before it falls back. */
  timeoutMs: number;
  /** How old a copy may be served while the registry does not answer; past that, none is. */
  maxStaleMs: number;
};

/** The registry did not answer and no copy young enough is known: the caller reads elsewhere. */
export class RegistryUnavailableError extends Error {
  override readonly name = 'RegistryUnavailableError';
}

type Known = { view: GenerationsView; at: number };

/** `promise`, or a rejection after `ms` (the timer is cleared either way). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`generations registry did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * What an isolate knows of the generations registry (one Durable Object for the whole
 * deployment). A copy younger than `freshMs` is served as is. An older one is refreshed, one call
 * at a time per isolate (concurrent readers wait for the same call). When that call fails or
 * times out, the last copy is served while it is younger than `maxStaleMs` (a warning is logged),
 * and the registry is not asked again for `freshMs`, so a registry that is down costs one waiting
 * reader per isolate per `freshMs`, not every reader. With no usable copy the call throws
 * `RegistryUnavailableError`.
 *
 * Serving an old generation is safe for readers: a retired generation's keys are deleted, and a
 * missing key sends the reader to the SKU object; a live one only lags.
 */
export class GenerationsCache {
  readonly #policy: CachePolicy;
  #known: Known | null = null;
  /** The refresh in flight, and when it started: one older than the timeout is given up on. */
  #inflight: { promise: Promise<GenerationsView>; startedAt: number } | null = null;
  /** After a failed refresh, the copy is served without asking until then. */
  #quietUntil = 0;

  constructor(policy: CachePolicy) {
    this.#policy = policy;
  }

  /** `maxStaleMs`: how old a copy this caller accepts when the registry does not answer (a writer accepts none past `freshMs`). */
  async get(now: number, fetchCurrent: FetchGenerations, maxStaleMs = this.#policy.maxStaleMs): Promise<GenerationsView> {
    const known = this.#known;
    if (known && now - known.at <= this.#policy.freshMs) return known.view;
    if (now < this.#quietUntil) return this.#fallback(now, null, maxStaleMs);
    try {
      return await this.#refresh(now, fetchCurrent);
    } catch (error) {
      this.#quietUntil = now + this.#policy.freshMs;
      return this.#fallback(now, error, maxStaleMs);
    }
  }

  /**
   * Joins the call in flight or starts one. Each reader races it against its own timer: in
   * workerd a promise shared across requests may never settle for a later one (the request that
   * started it ended and its I/O was cancelled), and the reader must still answer.
   */
  #refresh(now: number, fetchCurrent: FetchGenerations): Promise<GenerationsView> {
    let flight = this.#inflight;
    if (!flight || now - flight.startedAt >= this.#policy.timeoutMs) {
      const promise = fetchCurrent().then((view) => {
        if (!this.#known || this.#known.at <= now) this.#known = { view, at: now };
        this.#quietUntil = 0;
        return view;
      });
      const settled = () => {
        if (this.#inflight?.promise === promise) this.#inflight = null;
      };
      promise.then(settled, settled);
      flight = this.#inflight = { promise, startedAt: now };
    }
    const left = Math.max(1, this.#policy.timeoutMs - (now - flight.startedAt));
    return withTimeout(flight.promise, left);
  }

  #fallback(now: number, error: unknown, maxStaleMs: number): GenerationsView {
    const known = this.#known;
    const ageMs = known ? now - known.at : null;
    if (known && ageMs! <= maxStaleMs) {
      if (error !== null) {
        console.warn(JSON.stringify({ level: 'warn', message: 'generations registry unavailable: serving the generations last known', ageMs, error: describe(error) }));
      }
      return known.view;
    }
    if (error !== null) {
      console.warn(JSON.stringify({ level: 'warn', message: 'generations registry unavailable and no recent copy: reading from the SKU objects', ageMs, error: describe(error) }));
    }
    throw new RegistryUnavailableError(known ? `the generations last known are ${ageMs} ms old` : 'no generations known yet', { cause: error });
  }
}

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : JSON.stringify(error) ?? 'undefined');
