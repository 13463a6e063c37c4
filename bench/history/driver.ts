/**
 * The load of the history benchmark, in its own process so that `taskset` pins it alone to a core.
 * Buyers reserve one unit each and then, as in a sale, some complete, some cancel and the rest walk
 * away and let the hold expire. Prints one JSON line per window of `window` reservations (reserve
 * latency percentiles, throughput, answers by status) and a last line `{"done":true}`.
 *
 * With `aimAt`, every hold is given the TTL that makes it fall due at that instant (to the second):
 * a storm of expiries all at once. With `seconds`, it stops after that long instead of a count.
 */
export type DriverSpec = {
  url: string;
  sku: string;
  key: string;
  connections: number;
  reservations: number;
  window: number;
  ttlSeconds: number;
  completeShare: number;
  cancelShare: number;
  customers: number;
  runId: string;
  aimAt?: number;
  seconds?: number;
};

export type WindowResult = {
  window: number;
  reservations: number;
  seconds: number;
  reservesPerSecond: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
};

const spec = JSON.parse(process.argv[2]!) as DriverSpec;
const base = `${spec.url}/v1/skus/${encodeURIComponent(spec.sku)}/reservations`;
const auth = { authorization: `Bearer ${spec.key}` };
const stopAt = spec.seconds === undefined ? Infinity : Date.now() + spec.seconds * 1000;

let next = 0;
let windowIndex = 0;
let windowStart = performance.now();
let latencies: number[] = [];
let requests = 0;
let statuses: Record<string, number> = {};

/** A fixed pseudo-random draw per reservation, so two runs make the same sale. */
const draw = (i: number, salt: number) => {
  let x = Math.imul(i ^ (salt * 0x9e3779b1), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
};

async function send(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const started = performance.now();
  const res = await fetch(url, {
    method,
    headers: { ...auth, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json().catch(() => null)) as { reservationId?: string } | null;
  requests++;
  statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  return { status: res.status, json, ms: performance.now() - started };
}

function closeWindow(): void {
  const seconds = (performance.now() - windowStart) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const result: WindowResult = {
    window: windowIndex++,
    reservations: sorted.length,
    seconds: Math.round(seconds * 100) / 100,
    reservesPerSecond: Math.round(sorted.length / seconds),
    requestsPerSecond: Math.round(requests / seconds),
    p50: Math.round(at(0.5) * 10) / 10,
    p99: Math.round(at(0.99) * 10) / 10,
    max: Math.round((sorted.at(-1) ?? 0) * 10) / 10,
    statuses,
  };
  console.log(JSON.stringify(result));
  latencies = [];
  requests = 0;
  statuses = {};
  windowStart = performance.now();
}

function ttlFor(): number {
  if (spec.aimAt === undefined) return spec.ttlSeconds;
  return Math.max(1, Math.ceil((spec.aimAt - Date.now()) / 1000));
}

async function buyer(): Promise<void> {
  for (let i = next++; i < spec.reservations && Date.now() < stopAt; i = next++) {
    const customerId = `buyer-${Math.floor(draw(i, 1) * spec.customers)}`;
    const held = await send('POST', base, { customerId, qty: 1, ttlSeconds: ttlFor() }, { 'idempotency-key': `${spec.runId}-${i}` });
    latencies.push(held.ms);
    if (latencies.length >= spec.window) closeWindow();
    if (held.status !== 201 || !held.json?.reservationId) continue;
    const fate = draw(i, 2);
    const one = `${base}/${held.json.reservationId}`;
    if (fate < spec.completeShare) await send('POST', `${one}/complete`, { customerId });
    else if (fate < spec.completeShare + spec.cancelShare) await send('DELETE', `${one}?customerId=${encodeURIComponent(customerId)}`);
  }
}

await Promise.all(Array.from({ length: spec.connections }, buyer));
if (latencies.length > 0) closeWindow();
console.log(JSON.stringify({ done: true }));
