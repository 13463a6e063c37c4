import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, edgeCall, startEdge, startNoopEdge, type RunningEdge } from './lib/edge';
import { runLoad, type LoadResult } from './lib/load';
import { intEnv } from './lib/params';
import { printTable, writeResult, type Row } from './lib/report';

/**
 * A sold-out flood (ADR 0020): 1,000 units and 20,000 buyers on one SKU. The sale takes all but
 * `SHORT_HOLDS` units (reservations/s), then `SHORT_HOLDS` buyers hold the rest for `SHORT_TTL_S`
 * (carts that will be abandoned), then the flood: everyone else, refused but for the units the
 * short holds return when they expire mid-flood. Run with the edge's sold-out memory on (the default) and off
 * (`SOLD_OUT_EDGE_MS=0`, every refusal the object's). Reports refusals/s against reservations/s,
 * oversold units, and how long each unit returned by an expiry waited to be sold again.
 */
const UNITS = intEnv('BENCH_FLOOD_UNITS', 1_000);
const BUYERS = intEnv('BENCH_FLOOD_BUYERS', 20_000);
const SHORT_HOLDS = intEnv('BENCH_FLOOD_SHORT_HOLDS', 200);
const SHORT_TTL_S = intEnv('BENCH_FLOOD_SHORT_TTL_S', 3);
const CONNECTIONS = intEnv('BENCH_FLOOD_CONNECTIONS', 100);

const buyers = (edge: RunningEdge, sku: string, amount: number, ttlSeconds?: number): Promise<LoadResult> =>
  runLoad({
    url: edge.url,
    method: 'POST',
    path: `/v1/skus/${sku}/reservations`,
    headers: { authorization: `Bearer ${BENCH_STOREFRONT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: 'buyer', qty: 1, ...(ttlSeconds ? { ttlSeconds } : {}) }),
    // autocannon refuses more connections than requests.
    connections: Math.min(CONNECTIONS, amount),
    seconds: 0,
    amount,
    uniqueCustomers: true,
  });

type Event = { type: string; at: string; data: { reason?: string } };

async function eventsOf(edge: RunningEdge, sku: string): Promise<Event[]> {
  const events: Event[] = [];
  for (let after = 0; ;) {
    const { json } = await edgeCall(edge.url, 'GET', `/v1/admin/skus/${sku}/events?after=${after}&limit=1000`, BENCH_ADMIN_KEY);
    events.push(...(json.events as Event[]));
    if (json.nextAfter === null) return events;
    after = json.nextAfter as number;
  }
}

const percentile = (sorted: number[], q: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);

/**
 * Each unit an expiry returned, paired with a reservation after the first `UNITS` (a resale):
 * in time order, the k-th return with the k-th resale (a unit cannot be sold before it is back).
 */
function resaleDelays(events: Event[]): { returned: number; resold: number; delays: number[] } {
  const time = (e: Event) => Date.parse(e.at);
  const returns = events.filter((e) => e.type === 'StockReleased' && e.data.reason === 'expired').map(time).sort((a, b) => a - b);
  const resales = events.filter((e) => e.type === 'StockReserved').map(time).sort((a, b) => a - b).slice(UNITS);
  const delays = resales.slice(0, returns.length).map((at, k) => at - returns[k]!);
  return { returned: returns.length, resold: resales.length, delays: delays.sort((a, b) => a - b) };
}

async function flood(label: string, bindings: Record<string, string>): Promise<Row> {
  const edge = await startEdge(bindings);
  try {
    const sku = 'flood';
    await edgeCall(edge.url, 'PUT', `/v1/admin/skus/${sku}/stock`, BENCH_ADMIN_KEY, { onHand: UNITS });
    const sale = await buyers(edge, sku, UNITS - SHORT_HOLDS);
    // Last, so that they expire while the flood runs (each load run starts a process: ~1 s).
    const held = await buyers(edge, sku, SHORT_HOLDS, SHORT_TTL_S);
    const rest = await buyers(edge, sku, BUYERS - UNITS);
    const { json: counters } = await edgeCall(edge.url, 'GET', `/v1/skus/${sku}?consistent=true`, BENCH_STOREFRONT_KEY);
    const { returned, resold, delays } = resaleDelays(await eventsOf(edge, sku));
    const granted = (held.statuses['201'] ?? 0) + (sale.statuses['201'] ?? 0) + (rest.statuses['201'] ?? 0);
    const refused = rest.statuses['409'] ?? 0;
    const reservationsPerSecond = sale.rps;
    const refusalsPerSecond = rest.requests > 0 ? (rest.rps * refused) / rest.requests : 0;
    const row: Row = {
      edge: label,
      'sale reservations/s': reservationsPerSecond,
      'flood refusals/s': refusalsPerSecond,
      'refusals / reservations': reservationsPerSecond > 0 ? refusalsPerSecond / reservationsPerSecond : null,
      'flood p50 ms': rest.p50,
      'flood p99 ms': rest.p99,
      '201 answers': granted,
      '409 answers': refused + (sale.statuses['409'] ?? 0) + (held.statuses['409'] ?? 0),
      'other answers': held.requests + sale.requests + rest.requests - granted - refused - (sale.statuses['409'] ?? 0) - (held.statuses['409'] ?? 0),
      errors: held.errors + sale.errors + rest.errors,
      oversold: Math.max(0, counters.reserved + counters.sold - counters.onHand, granted - UNITS - returned),
      'returned by expiry': returned,
      'resold': Math.min(resold, returned),
      'resale delay p50 ms': percentile(delays, 0.5),
      'resale delay max ms': delays.at(-1) ?? null,
    };
    console.log(`  ${label}: ${Math.round(refusalsPerSecond)} refusals/s, ${Math.round(reservationsPerSecond)} reservations/s, resale delay max ${row['resale delay max ms']} ms`);
    return row;
  } finally {
    await edge.close();
  }
}

/**
 * What one runtime process answers when a request does no work at all (a Worker that calls
 * nothing): refusals at the edge cannot be faster here, however few objects they reach.
 */
async function bareWorker(): Promise<number> {
  const noop = await startNoopEdge();
  try {
    return (await runLoad({ url: noop.url, method: 'GET', path: '/alone', headers: {}, connections: CONNECTIONS, seconds: 8 })).rps;
  } finally {
    await noop.close();
  }
}

async function main() {
  console.log(`sold-out flood: ${UNITS} units, ${BUYERS} buyers (${SHORT_HOLDS} holding ${SHORT_TTL_S} s), ${CONNECTIONS} connections`);
  const rows = [await flood('on (default, 300 ms)', {}), await flood('off (SOLD_OUT_EDGE_MS=0)', { SOLD_OUT_EDGE_MS: '0' })];
  printTable(`Sold-out flood: ${UNITS.toLocaleString('en-US')} units, ${BUYERS.toLocaleString('en-US')} buyers, ${CONNECTIONS} connections`, rows);
  const on = rows[0]!;
  const bare = await bareWorker();
  const ceiling = {
    'bare Worker answers/s': bare,
    'edge refusals / bare Worker': Number(on['flood refusals/s']) / bare,
    'highest refusals / reservations here': bare / Number(on['sale reservations/s']),
  };
  printTable(`Ceiling: a Worker that does nothing (${CONNECTIONS} connections, same process shape)`, [ceiling]);
  const checks = [
    { target: 'refusals/s ≥ 5× reservations/s (edge on)', measured: on['refusals / reservations'], met: Number(on['refusals / reservations']) >= 5 },
    { target: '0 oversold', measured: Math.max(...rows.map((r) => Number(r.oversold))), met: rows.every((r) => r.oversold === 0) },
    { target: 'every unit returned by expiry sold again within 1 s (edge on)', measured: on['resale delay max ms'], met: on.resold === on['returned by expiry'] && Number(on['resale delay max ms']) < 1_000 },
  ];
  printTable('Targets', checks.map((c) => ({ target: c.target, measured: c.measured ?? null, verdict: c.met ? 'met' : 'NOT MET' })));
  writeResult('soldOutFlood', { parameters: { units: UNITS, buyers: BUYERS, shortHolds: SHORT_HOLDS, shortTtlSeconds: SHORT_TTL_S, connections: CONNECTIONS }, rows, ceiling, checks });
  if (!checks.every((c) => c.met)) process.exitCode = 1;
}

await main();
