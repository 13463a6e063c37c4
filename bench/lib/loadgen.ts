import autocannon from 'autocannon';
import { AVAILABILITY_BOUND_MS, isDefinitive } from '../../src/contract/availability';
import { homeShard } from '../../src/domain/sku/shards';

/**
 * One load run, in its own process so that `taskset` pins the load generator alone to a core.
 * Every request gets a fresh Idempotency-Key (a retry would be a different benchmark). Prints
 * one JSON line: throughput, latency percentiles (ms), answers by status, errors.
 */
export type LoadSpec = { url: string; method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string; connections: number; seconds: number;
  /** A fixed number of requests instead of a duration (a sell-out must see every request answered). */
  amount?: number;
  /** Each request as another buyer: the body's `customerId` made unique (a sharded SKU routes by it). */
  uniqueCustomers?: boolean;
  /** Requests spread round-robin over this many buyers instead (a per-customer limit bites). */
  customers?: number;
  /** With `uniqueCustomers`: every buyer's home one of shards `on` of a SKU split over `shards` (a skewed crowd borrows). */
  homes?: { shards: number; on: number[] } };

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
let n = 0;
const prefix = `${process.pid}-${Date.now()}`;
/** The first id of buyer `i` whose home is one of `spec.homes.on`. */
function homedAt(i: number, homes: NonNullable<LoadSpec['homes']>): string {
  for (let j = 0; ; j++) if (homes.on.includes(homeShard(`${prefix}-${i}-${j}`, homes.shards))) return `${prefix}-${i}-${j}`;
}
const customerOf = (i: number): string | null =>
  spec.customers ? `${prefix}-c${i % spec.customers}` : spec.uniqueCustomers ? (spec.homes ? homedAt(i, spec.homes) : `${prefix}-${i}`) : null;
/** Latencies by status: the p99 of accepted requests is not the p99 of the 503s shed at once. */
const latencies = new Map<number, number[]>();
let shedWithoutRetryAfter = 0;
/**
 * Honest availability per request (definitive-answer-in-time; no client retries here, each
 * request is its own attempt): answers that settle the buyer's question within the bound.
 */
let answered = 0;
let definitiveInTime = 0;
/** The error code of the answer being recorded: autocannon calls onResponse, then emits 'response', for the same answer at once. */
let lastCode: string | null = null;
// Without a callback autocannon answers its instance, an event emitter that is also a promise.
const instance = autocannon({
  url: spec.url,
  connections: spec.connections,
  ...(spec.amount ? { amount: spec.amount } : { duration: spec.seconds }),
  pipelining: 1,
  timeout: 30,
  requests: [
    {
      method: spec.method,
      path: spec.path,
      ...(spec.body === undefined ? {} : { body: spec.body }),
      setupRequest: (req) => {
        const i = n++;
        const customerId = customerOf(i);
        const body = customerId && spec.body ? JSON.stringify({ ...JSON.parse(spec.body), customerId }) : req.body;
        return { ...req, body, headers: { ...spec.headers, 'idempotency-key': `${prefix}-${i}` } };
      },
      onResponse: (status, body, _context, headers) => {
        // Only a 4xx needs its code to tell a true refusal from a "not now" (a 2xx always settles, a 5xx never).
        lastCode = status >= 400 && status < 500 ? codeOf(body) : null;
        // Raw header names, as the server spelled them.
        if (status === 503 && !Object.keys(headers ?? {}).some((name) => name.toLowerCase() === 'retry-after')) shedWithoutRetryAfter++;
      },
    },
  ],
}) as unknown as autocannon.Instance;
instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
  answered++;
  if (ms <= AVAILABILITY_BOUND_MS && isDefinitive(status, lastCode)) definitiveInTime++;
  lastCode = null;
  const list = latencies.get(status) ?? [];
  list.push(ms);
  latencies.set(status, list);
});
const result = await (instance as unknown as Promise<autocannon.Result>);
const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const byStatus = Object.fromEntries(
  [...latencies.entries()].map(([status, list]) => {
    const sorted = list.sort((a, b) => a - b);
    return [status, { p50: Math.round(percentile(sorted, 0.5)), p99: Math.round(percentile(sorted, 0.99)) }];
  }),
);
const statuses = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
console.log(
  JSON.stringify({
    requests: result.requests.total,
    // A fixed amount often ends mid-second: autocannon's per-second average would count a 0.8 s run as 1 s.
    rps: spec.amount ? result.requests.total / ((result.finish.getTime() - result.start.getTime()) / 1000) : result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: (result.latency as unknown as Record<string, number>).p99_9 ?? null,
    errors: result.errors + result.timeouts,
    statuses: Object.fromEntries(Object.entries(statuses).map(([code, s]) => [code, s.count])),
    byStatus,
    shedWithoutRetryAfter,
    // autocannon's errors include its timeouts: every request sent that got no answer.
    sent: answered + result.errors,
    definitiveInTime,
  }),
);

function codeOf(body: string): string | null {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}
