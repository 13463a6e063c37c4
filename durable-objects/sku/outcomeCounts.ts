import type { Outcome } from '../../src/contract/outcome';

/**
 * Reserve outcomes by code since this instance started (`reserved` or the refusal's code), for
 * the operators' live view. Memory only: a refusal writes nothing, and counting it in storage
 * would make a sold-out SKU's flood cost a write per buyer. Readers see `since` and take rates.
 */
export class OutcomeCounts {
  readonly #counts = new Map<string, number>();
  readonly #since = new Date().toISOString();

  /** Counts the outcome, and answers it. */
  count<T extends Outcome<unknown>>(outcome: T): T {
    const code = outcome.ok ? 'reserved' : outcome.error.code;
    this.#counts.set(code, (this.#counts.get(code) ?? 0) + 1);
    return outcome;
  }

  snapshot(): { outcomes: Record<string, number>; since: string } {
    return { outcomes: Object.fromEntries(this.#counts), since: this.#since };
  }
}
