/** A figure the model takes from someone else's documentation, with where it was read. */
export type Documented = { readonly input: string; readonly value: number; readonly unit: string; readonly source: string };

/**
 * Cloudflare's published limits the scenarios run at. A single object is single-threaded; its
 * throughput is a soft limit that falls as each request does more work, and a reservation writes
 * storage (event, reservation row, idempotency record, outbox row) in one transaction.
 */
export const CLOUDFLARE = {
  objectSoftLimit: {
    input: 'one object, soft limit',
    value: 1000,
    unit: 'req/s',
    source: 'developers.cloudflare.com/durable-objects/platform/limits/ and /reference/faq/ ("How much work can a single Durable Object do?"): single-threaded, soft limit ~1,000 req/s, lower the more work a request does',
  },
  objectWithWritesHigh: {
    input: 'one object writing storage, high',
    value: 500,
    unit: 'req/s',
    source: 'brief: 200–500 req/s per object with storage writes (upper end); a published third-party measurement of one object with a transactional write reached ~410/s (lumenize.com, "What I got wrong about Durable Object throughput")',
  },
  objectWithWritesLow: { input: 'one object writing storage, low', value: 200, unit: 'req/s', source: 'brief: 200–500 req/s per object with storage writes (lower end)' },
  kvWritesPerKey: { input: 'KV writes to one key', value: 1, unit: 'per second', source: 'developers.cloudflare.com/kv/platform/limits/ (1 write per second to the same key)' },
  kvPropagation: {
    input: 'KV propagation to other locations',
    value: 60,
    unit: 's, up to',
    source: 'developers.cloudflare.com/kv/concepts/how-kv-works/ (eventually consistent: other locations may see a write up to 60 s or more later)',
  },
} as const satisfies Record<string, Documented>;
