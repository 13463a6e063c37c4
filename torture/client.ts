import type { Attempt as Operation } from '../src/contract/availability';
import { attemptOf, codeOf, type Try } from './operationTally';
import { classify, emptyTally, type Tally } from './tally';
import { pause } from './system';

/** An answer as the storefront saw it, after its retries. `ambiguous`: some attempt got no answer or a 5xx; `at`: when it came. */
export type Answer = { status: number; body: any; ambiguous: boolean; attempts: number; at: number };

const RETRIES = 30;
const TIMEOUT_MS = 15_000;
/** A Retry-After longer than this is not waited out in full: the run has a schedule to keep. */
const MAX_RETRY_AFTER_MS = 10_000;

type Attempt = { status: number; retryAfter: string | null; body: unknown } | { error: string };

/**
 * The storefront's client, as a real checkout backend behaves: a request that gets no answer (a
 * runtime restarting, a socket cut), a 5xx, or a 503 overloaded is sent again with the same
 * Idempotency-Key and `Cache-Control: no-cache`, for up to 30 tries. Every attempt is counted in the tally, so a retry that
 * ends well never hides the 5xx before it.
 */
export class StorefrontClient {
  readonly tally: Tally = emptyTally();
  /** Every `send` as one operation, first request to final answer (honest availability, operationTally.ts). */
  readonly operations: Operation[] = [];
  readonly #origin: () => string;
  readonly #edgeDown: () => boolean;

  /** `edgeDown`: the edge runtime is being restarted on purpose (a request then may get no answer). */
  constructor(origin: () => string, edgeDown: () => boolean) {
    this.#origin = origin;
    this.#edgeDown = edgeDown;
  }

  async send(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const startedMs = Date.now();
    const tries: Try[] = [];
    try {
      return await this.#send(method, path, key, tries, body, headers);
    } finally {
      this.operations.push(attemptOf(startedMs, tries));
    }
  }

  async #send(method: string, path: string, key: string, tries: Try[], body: unknown, headers: Record<string, string>): Promise<Answer> {
    let ambiguous = false;
    for (let attempt = 1; ; attempt++) {
      const downBefore = this.#edgeDown();
      // A retry asks for the object's answer: its first attempt may have taken the last unit (ADR 0020).
      const got = await this.#attempt(method, path, key, body, attempt === 1 ? headers : { ...headers, 'cache-control': 'no-cache' });
      tries.push('error' in got ? { atMs: Date.now(), status: null } : { atMs: Date.now(), status: got.status, code: codeOf(got.body) });
      this.tally.requests++;
      if ('error' in got) {
        ambiguous = true;
        if (downBefore || this.#edgeDown()) this.tally.unansweredInFaults++;
        else this.tally.unansweredOutsideFaults.push(`${method} ${path} (attempt ${attempt}): ${got.error}`);
        if (attempt >= RETRIES) return { status: 0, body: { error: got.error }, ambiguous, attempts: attempt, at: Date.now() };
        await pause(Math.min(2_000, attempt * 200));
        continue;
      }
      this.tally.answered++;
      const verdict = classify(got.status, got.retryAfter, got.body);
      if (verdict === 'overloaded') this.tally.overloaded++;
      if (verdict === 'server_error') {
        ambiguous = true;
        this.tally.serverErrors.push(`${method} ${path} (attempt ${attempt}): ${got.status} ${JSON.stringify(got.body).slice(0, 300)}`);
      }
      if (verdict === 'answer' || attempt >= RETRIES) return { status: got.status, body: got.body, ambiguous, attempts: attempt, at: Date.now() };
      await pause(verdict === 'overloaded' ? Math.min(MAX_RETRY_AFTER_MS, Number(got.retryAfter) * 1000 || 1_000) : attempt * 100);
    }
  }

  async #attempt(method: string, path: string, key: string, body: unknown, headers: Record<string, string>): Promise<Attempt> {
    try {
      const res = await fetch(`${this.#origin()}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const text = await res.text();
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: parse(text) };
    } catch (error) {
      return { error: String((error as Error).cause ?? error) };
    }
  }
}

/** A runtime's error page is not JSON: kept as text, so the tally shows what came back. */
function parse(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
