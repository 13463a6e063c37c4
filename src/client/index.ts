import type { z } from 'zod';
import {
  CheckoutDetailSchema,
  CheckoutSchema,
  ErrorSchema,
  ReservationDetailSchema,
  ReservationSchema,
  SkuViewSchema,
} from '../contract/schemas';
import type { ErrorCode } from '../contract/errors';

/**
 * The storefront's client of the edge API: typed from the Worker's own zod schemas, with the
 * retry loop every shop would otherwise write. Each logical operation gets one Idempotency-Key,
 * reused on every retry, so a request whose answer was lost is answered again, never done twice.
 * It retries network failures and `503 overloaded` (waiting its `Retry-After` plus up to half as
 * much again, capped, and at least an exponential backoff with full jitter: `retryDelayMs`); every
 * other answer is final and refusals are thrown as `StorefrontError` with the API's error code.
 * A retry carries `Cache-Control: no-cache`: its first attempt may have reserved without the answer
 * arriving, and only the object replays that (the edge's sold-out memory would not, ADR 0020).
 */
export type Reservation = z.infer<typeof ReservationSchema>;
export type ReservationDetail = z.infer<typeof ReservationDetailSchema>;
export type Checkout = z.infer<typeof CheckoutSchema>;
export type CheckoutDetail = z.infer<typeof CheckoutDetailSchema>;
export type SkuView = z.infer<typeof SkuViewSchema>;
export type { ErrorCode };

export type StorefrontClientOptions = {
  /** The Worker's origin, e.g. `https://inventory.example.com`. */
  baseUrl: string;
  /** A storefront bearer key (`STOREFRONT_KEYS`). */
  apiKey: string;
  /** Attempts per operation, the first included (default 6). */
  attempts?: number;
  /** Backoff before the second attempt, doubled per attempt up to `maxDelayMs` (defaults 100 and 5,000 ms). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The longest a `Retry-After` is honoured (default 30 s): a longer one is waited this long. */
  maxRetryAfterMs?: number;
  /** Per attempt (default 10 s): an attempt that takes longer is abandoned and retried under the same key. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Injected by tests; defaults: `setTimeout`, `Math.random`, `crypto.randomUUID`. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  newKey?: () => string;
};

/** A refusal from the API (its `error.code`), or the last failure once the attempts ran out. */
export class StorefrontError extends Error {
  override readonly name = 'StorefrontError';
  constructor(
    message: string,
    /** The API's code; `network` when no answer ever came. */
    readonly code: ErrorCode | 'network',
    /** HTTP status; 0 for `network`. */
    readonly status: number,
    readonly details: Record<string, unknown> = {},
    readonly attempts = 1,
  ) {
    super(message);
  }
}

export type RetryPolicy = { baseDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number };
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 100, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 };
/** A Retry-After is waited plus up to this share of it again: the header counts in whole seconds. */
const RETRY_AFTER_JITTER = 0.5;

/**
 * How long to wait before attempt `attempt + 1` (after `attempt` failed): the exponential backoff
 * with full jitter, or, when the server said, its Retry-After spread by up to half as much again
 * (buyers told the same second do not come back in the same millisecond), capped at
 * `maxRetryAfterMs`. The simulation's buyers wait by this same rule (`simulate/buyers.ts`).
 */
export function retryDelayMs(attempt: number, retryAfterSeconds: number | undefined, random: () => number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  const backoff = random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  if (retryAfterSeconds === undefined || !(retryAfterSeconds > 0)) return backoff;
  const told = Math.min(policy.maxRetryAfterMs, retryAfterSeconds * 1000 * (1 + RETRY_AFTER_JITTER * random()));
  return Math.max(backoff, told);
}

/** `customerId`: sent as `X-Customer-Id` on a lookup (never in the URL, which reaches request logs). */
type Call = { method: 'GET' | 'POST' | 'DELETE'; path: string; body?: unknown; idempotencyKey?: string; customerId?: string };

export function createStorefrontClient(options: StorefrontClientOptions) {
  const {
    baseUrl,
    apiKey,
    attempts = 6,
    baseDelayMs = DEFAULT_RETRY_POLICY.baseDelayMs,
    maxDelayMs = DEFAULT_RETRY_POLICY.maxDelayMs,
    maxRetryAfterMs = DEFAULT_RETRY_POLICY.maxRetryAfterMs,
    timeoutMs = 10_000,
    fetch: send = globalThis.fetch.bind(globalThis),
    sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    random = Math.random,
    newKey = () => crypto.randomUUID(),
  } = options;

  const policy: RetryPolicy = { baseDelayMs, maxDelayMs, maxRetryAfterMs };
  const backoff = (attempt: number) => retryDelayMs(attempt, undefined, random, policy);

  /** One operation: its attempts until an answer that is not "come back later". */
  async function request<S extends z.ZodType>(schema: S, call: Call): Promise<{ value: z.infer<S>; status: number }> {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.idempotencyKey) headers['idempotency-key'] = call.idempotencyKey;
    if (call.customerId) headers['x-customer-id'] = call.customerId;
    let last: StorefrontError | null = null;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        await sleep(retryDelayMs(attempt - 1, retryAfterOf(last), random, policy));
        headers['cache-control'] = 'no-cache';
      }
      let response: Response;
      try {
        response = await send(new URL(call.path, baseUrl), {
          method: call.method,
          headers,
          ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        last = new StorefrontError(`no answer from ${call.method} ${call.path}: ${(error as Error).message}`, 'network', 0, {}, attempt);
        continue;
      }
      const json: unknown = await response.json().catch(() => null);
      if (response.ok) return { value: schema.parse(json), status: response.status };
      last = refusal(response, json, attempt);
      // 503 (overloaded) and 429 (rate limited) say when to come back: the next attempt waits that long.
      if (response.status !== 503 && response.status !== 429) throw last;
    }
    throw last!;
  }

  const path = (...parts: string[]) => `/v1/${parts.map(encodeURIComponent).join('/')}`;

  return {
    /** Holds `qty` units for the customer until `ttlSeconds`; one key for all its attempts (or yours, to span restarts). */
    reserve: async (sku: string, body: { customerId: string; qty: number; ttlSeconds?: number }, idempotencyKey = newKey()): Promise<Reservation> =>
      (await request(ReservationSchema, { method: 'POST', path: path('skus', sku, 'reservations'), body, idempotencyKey })).value,
    complete: async (sku: string, reservationId: string, customerId: string): Promise<Reservation> =>
      (await request(ReservationSchema, { method: 'POST', path: path('skus', sku, 'reservations', reservationId, 'complete'), body: { customerId } })).value,
    cancel: async (sku: string, reservationId: string, customerId: string): Promise<Reservation> =>
      (await request(ReservationSchema, { method: 'DELETE', path: path('skus', sku, 'reservations', reservationId), customerId })).value,
    reservation: async (sku: string, reservationId: string, customerId: string): Promise<ReservationDetail> =>
      (await request(ReservationDetailSchema, { method: 'GET', path: path('skus', sku, 'reservations', reservationId), customerId })).value,
    /** The SKU's counters: from the read model (a second or so behind) or, `consistent`, from its object. */
    sku: async (sku: string, { consistent = false } = {}): Promise<SkuView> =>
      (await request(SkuViewSchema, { method: 'GET', path: path('skus', sku) + (consistent ? '?consistent=true' : '') })).value,
    /**
     * Every line reserved, or none (409 `checkout_refused`). While a step is being retried the
     * edge answers 202; the same request is sent again under the same key until it settles.
     */
    async checkout(body: { customerId: string; lines: { sku: string; qty: number }[]; ttlSeconds?: number }, idempotencyKey = newKey()): Promise<Checkout> {
      for (let round = 1; ; round++) {
        const { value, status } = await request(CheckoutSchema, { method: 'POST', path: '/v1/checkouts', body, idempotencyKey });
        if (status !== 202 || round >= attempts) return value;
        await sleep(backoff(round));
      }
    },
    checkoutDetail: async (checkoutId: string, customerId: string): Promise<CheckoutDetail> =>
      (await request(CheckoutDetailSchema, { method: 'GET', path: path('checkouts', checkoutId), customerId })).value,
    completeCheckout: async (checkoutId: string, customerId: string): Promise<Checkout> =>
      (await request(CheckoutSchema, { method: 'POST', path: path('checkouts', checkoutId, 'complete'), body: { customerId } })).value,
    cancelCheckout: async (checkoutId: string, customerId: string): Promise<Checkout> =>
      (await request(CheckoutSchema, { method: 'DELETE', path: path('checkouts', checkoutId), customerId })).value,
  };
}

export type StorefrontClient = ReturnType<typeof createStorefrontClient>;

function refusal(response: Response, json: unknown, attempt: number): StorefrontError {
  const parsed = ErrorSchema.safeParse(json);
  const retryAfter = Number(response.headers.get('retry-after'));
  const details = { ...(parsed.success ? parsed.data.error.details : {}), ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}) };
  if (!parsed.success) return new StorefrontError(`HTTP ${response.status} without the API's error body`, 'internal', response.status, details, attempt);
  return new StorefrontError(parsed.data.error.message, parsed.data.error.code as ErrorCode, response.status, details, attempt);
}

/** What the server asked for, when it did. */
function retryAfterOf(last: StorefrontError | null): number | undefined {
  const seconds = last?.details.retryAfterSeconds;
  return typeof seconds === 'number' ? seconds : undefined;
}
