import autocannon from 'autocannon';

/**
 * One load run, in its own process so that `taskset` pins the load generator alone to a core.
 * Every request gets a fresh Idempotency-Key (a retry would be a different benchmark). Prints
 * one JSON line: throughput, latency percentiles (ms), answers by status, errors.
 */
export type LoadSpec = { url: string; method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string; connections: number; seconds: number;
  /** A fixed number of requests instead of a duration (a sell-out must see every request answered). */
  amount?: number;
  /** Each request as another buyer: the body's `customerId` made unique (a sharded SKU routes by it). */
  uniqueCustomers?: boolean };

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
let n = 0;
const prefix = `${process.pid}-${Date.now()}`;
const result = await autocannon({
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
        const body = spec.uniqueCustomers && spec.body ? JSON.stringify({ ...JSON.parse(spec.body), customerId: `${prefix}-${i}` }) : req.body;
        return { ...req, body, headers: { ...spec.headers, 'idempotency-key': `${prefix}-${i}` } };
      },
    },
  ],
});
const statuses = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
console.log(
  JSON.stringify({
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: (result.latency as unknown as Record<string, number>).p99_9 ?? null,
    errors: result.errors + result.timeouts,
    statuses: Object.fromEntries(Object.entries(statuses).map(([code, s]) => [code, s.count])),
  }),
);
