import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, edgeCall, startEdge, startNoopEdge, type RunningEdge } from './lib/edge';
import { definitiveWithin2s, LOAD_CORE, runLoad, type LoadResult } from './lib/load';
import { printTable, writeResult, type Row } from './lib/report';

/**
 * One hot SKU served by 1 and by 8 shard objects, in workerd through Miniflare on this machine:
 * - throughput: reservations by distinct buyers at 100 connections;
 * - sell-out: 1,000 units, 3,000 reservations from 500 customers limited to 2 each, which must end
 *   with exactly 1,000 units taken (every customer exactly 2), 0 oversold, 0 left unsold;
 * - overload: 1,000 connections, with the default admission bound and with a flash-sale one: no
 *   5xx but 503 with Retry-After, and the p99 of the accepted reservations; the share of requests
 *   with a definitive answer within 2 s is the honest availability (a 503 is not available);
 * - sold out: a flood after the sell-out, with the sold-out fast path off (the default) and on.
 * What one machine cannot show (objects on many machines) is the simulation's subject
 * (`npm run simulate`).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const OVERLOAD_CONNECTIONS = Number(process.env.BENCH_OVERLOAD_CONNECTIONS ?? 1_000);
/** The admission bound a flash sale would set (ADMISSION_MAX_WAIT_MS), next to the default. */
const FLASH_SALE_ADMISSION_MS = Number(process.env.BENCH_ADMISSION_MS ?? 100);
const LAYOUTS = (process.env.BENCH_SHARDS ?? '1,8').split(',').map(Number);
const AMPLE_STOCK = 100_000_000;
const SELLOUT_STOCK = 1_000;
const SELLOUT_CUSTOMERS = 500;
const SELLOUT_LIMIT = 2;

type Buyers = { uniqueCustomers: true } | { customers: number };

const reserve = (edge: RunningEdge, sku: string, extra: { amount?: number; seconds?: number; connections?: number; buyers?: Buyers }) =>
  runLoad({
    url: edge.url,
    method: 'POST',
    path: `/v1/skus/${sku}/reservations`,
    headers: { authorization: `Bearer ${BENCH_STOREFRONT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: 'x', qty: 1 }),
    ...(extra.buyers ?? { uniqueCustomers: true }),
    connections: extra.connections ?? CONNECTIONS,
    seconds: extra.seconds ?? SECONDS,
    ...(extra.amount ? { amount: extra.amount } : {}),
  });

async function setStock(edge: RunningEdge, sku: string, onHand: number, shards: number, limitPerCustomer: number | null = null) {
  const { status, json } = await edgeCall(edge.url, 'PUT', `/v1/admin/skus/${sku}/stock`, BENCH_ADMIN_KEY, { onHand, shards, limitPerCustomer });
  if (status !== 200) throw new Error(`stock of ${sku}: ${status} ${JSON.stringify(json)}`);
}

async function shardsOf(edge: RunningEdge, sku: string) {
  const { json } = await edgeCall(edge.url, 'GET', `/v1/admin/skus/${sku}/shards`, BENCH_ADMIN_KEY);
  return json as { total: { onHand: number; reserved: number; sold: number; available: number; version: number }; shards: unknown[] };
}

/** Units each customer holds, from every shard's log: the limit is checked on what was written. */
async function unitsByCustomer(edge: RunningEdge, sku: string, shards: number): Promise<Map<string, number>> {
  const units = new Map<string, number>();
  for (let shard = 0; shard < shards; shard++) {
    for (let after = 0; ; ) {
      const { status, json } = await edgeCall(edge.url, 'GET', `/v1/admin/skus/${sku}/events?shard=${shard}&after=${after}&limit=1000`, BENCH_ADMIN_KEY);
      if (status !== 200) throw new Error(`events of ${sku} shard ${shard}: ${status}`);
      const events = json.events as { type: string; version: number; data: { customerId?: string; qty?: number } }[];
      if (events.length === 0) break;
      for (const e of events) if (e.type === 'StockReserved') units.set(e.data.customerId!, (units.get(e.data.customerId!) ?? 0) + e.data.qty!);
      after = events.at(-1)!.version;
    }
  }
  return units;
}

/** Honest availability per request (no client retries), as a percentage: 503s, 5xx and timeouts count against it. */
const definitivePercent = (load: LoadResult) => Math.round(definitiveWithin2s(load) * 10_000) / 100;
const accepted = (load: LoadResult) => load.byStatus['201'] ?? { p50: null, p99: null };
const otherFailures = (load: LoadResult) =>
  Object.entries(load.statuses).filter(([code]) => Number(code) >= 500 && code !== '503').reduce((n, [, count]) => n + count, 0);

async function throughputOf(edge: RunningEdge): Promise<Row[]> {
  const rows: Row[] = [];
  for (const shards of LAYOUTS) {
    const sku = `hot-${shards}`;
    await setStock(edge, sku, AMPLE_STOCK, shards);
    const load = await reserve(edge, sku, {});
    rows.push({ shards, 'req/s': load.rps, p50: load.p50, p99: load.p99, '201': load.statuses['201'] ?? 0, '503': load.statuses['503'] ?? 0, errors: load.errors, 'definitive in 2 s %': definitivePercent(load) });
    console.log(`  ${shards} shard(s): ${Math.round(load.rps)} req/s, p99 ${load.p99} ms`);
  }
  return rows;
}

async function selloutsOf(edge: RunningEdge): Promise<Row[]> {
  const rows: Row[] = [];
  for (const shards of LAYOUTS) {
    const sku = `sellout-${shards}`;
    await setStock(edge, sku, SELLOUT_STOCK, shards, SELLOUT_LIMIT);
    const load = await reserve(edge, sku, { amount: 3 * SELLOUT_STOCK, buyers: { customers: SELLOUT_CUSTOMERS } });
    const { total } = await shardsOf(edge, sku);
    const units = [...(await unitsByCustomer(edge, sku, shards)).values()];
    const granted = load.statuses['201'] ?? 0;
    // Events beyond the stock settings and the reservations: the loans (two events each).
    const transfers = (total.version - shards - total.reserved) / 2;
    rows.push({
      shards,
      stock: total.onHand,
      '201': granted,
      '409': load.statuses['409'] ?? 0,
      '503': load.statuses['503'] ?? 0,
      'units taken': total.reserved,
      'left unsold': total.available,
      oversold: Math.max(0, total.reserved - total.onHand, granted - total.onHand),
      'customers at 2': units.filter((u) => u === SELLOUT_LIMIT).length,
      'over limit': units.filter((u) => u > SELLOUT_LIMIT).length,
      loans: transfers,
      'p99 ms': load.p99,
      'definitive in 2 s %': definitivePercent(load),
    });
  }
  return rows;
}

async function overloadOf(edge: RunningEdge, bound: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const shards of LAYOUTS) {
    const sku = `overload-${bound}-${shards}`;
    await setStock(edge, sku, AMPLE_STOCK, shards);
    const load = await reserve(edge, sku, { connections: OVERLOAD_CONNECTIONS });
    rows.push({
      'admission bound ms': bound,
      shards,
      'req/s': load.rps,
      '201': load.statuses['201'] ?? 0,
      '503': load.statuses['503'] ?? 0,
      '503 without Retry-After': load.shedWithoutRetryAfter,
      'other 5xx': otherFailures(load),
      errors: load.errors,
      'accepted p50': accepted(load).p50,
      'accepted p99': accepted(load).p99,
      'all p99': load.p99,
      'definitive in 2 s %': definitivePercent(load),
    });
    console.log(`  bound ${bound} ms, ${shards} shard(s): ${Math.round(load.rps)} req/s, accepted p99 ${accepted(load).p99} ms, ${load.statuses['503'] ?? 0} shed, ${definitivePercent(load)}% definitive in 2 s`);
  }
  return rows;
}

/**
 * The same connections on a Worker whose every request is a no-op call to an object: what the
 * local runtime's handling of that many connections costs before any code of ours runs.
 */
async function noopAt(connections: number): Promise<Row> {
  const edge = await startNoopEdge();
  try {
    const load = await runLoad({ url: edge.url, method: 'GET', path: '/', headers: {}, connections, seconds: SECONDS });
    return { 'admission bound ms': 'no-op Worker → object', shards: 1, 'req/s': load.rps, '201': 0, '503': 0, '503 without Retry-After': 0, 'other 5xx': otherFailures(load), errors: load.errors, 'accepted p50': load.p50, 'accepted p99': load.p99, 'all p99': load.p99, 'definitive in 2 s %': definitivePercent(load) };
  } finally {
    await edge.close();
  }
}

/** A sold-out SKU flooded: what each buyer's refusal costs with the fast path off and on. */
async function soldOutFlood(edge: RunningEdge, fastPath: string): Promise<Row> {
  const sku = `soldout-${fastPath}`;
  await setStock(edge, sku, 10, 1);
  await reserve(edge, sku, { amount: 10, connections: 1 });
  // The view must be written (at most once a second) before the edge can refuse from it.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const load = await reserve(edge, sku, { seconds: 5 });
  return { 'fast path': fastPath, 'req/s': load.rps, p50: load.p50, p99: load.p99, '409': load.statuses['409'] ?? 0, '201': load.statuses['201'] ?? 0, errors: load.errors, 'definitive in 2 s %': definitivePercent(load) };
}

async function withEdge<T>(bindings: Record<string, string>, work: (edge: RunningEdge) => Promise<T>): Promise<T> {
  const edge = await startEdge(bindings);
  try {
    return await work(edge);
  } finally {
    await edge.close();
  }
}

async function main() {
  console.log(`one hot SKU over ${LAYOUTS.join(' and ')} shards, load generator on core ${LOAD_CORE}`);
  const { throughput, sellouts, overload, floods } = await withEdge({}, async (edge) => ({
    throughput: await throughputOf(edge),
    sellouts: await selloutsOf(edge),
    overload: await overloadOf(edge, 'default'),
    floods: [await soldOutFlood(edge, 'off')],
  }));
  overload.push(await noopAt(OVERLOAD_CONNECTIONS));
  overload.push(...(await withEdge({ ADMISSION_MAX_WAIT_MS: String(FLASH_SALE_ADMISSION_MS) }, (edge) => overloadOf(edge, String(FLASH_SALE_ADMISSION_MS)))));
  // Fresh for a minute: a sold-out SKU's view is not written again (refusals append nothing), so the
  // default 2 s would let the edge refuse only in the first seconds of the flood.
  floods.push(await withEdge({ SOLD_OUT_FAST_PATH: 'on', SOLD_OUT_FRESH_MS: '60000' }, (edge) => soldOutFlood(edge, 'on')));
  printTable(`Reservations on one SKU, distinct buyers, ${CONNECTIONS} connections, ${SECONDS} s`, throughput);
  printTable(`Sell-out: ${SELLOUT_STOCK.toLocaleString('en-US')} units, ${(3 * SELLOUT_STOCK).toLocaleString('en-US')} reservations from ${SELLOUT_CUSTOMERS} customers, limit ${SELLOUT_LIMIT}`, sellouts);
  printTable(`Overload: ${OVERLOAD_CONNECTIONS.toLocaleString('en-US')} connections, ${SECONDS} s`, overload);
  printTable(`Sold out: a flood of reservations at ${CONNECTIONS} connections, 5 s`, floods);
  const rate = (n: number) => throughput.find((r) => r.shards === n)?.['req/s'] as number | undefined;
  const ratio = rate(8) && rate(1) ? rate(8)! / rate(1)! : null;
  console.log(`\n8 shards / 1 shard on this machine: ${ratio === null ? '–' : `${ratio.toFixed(2)}×`}`);
  writeResult('shards', {
    parameters: { seconds: SECONDS, connections: CONNECTIONS, overloadConnections: OVERLOAD_CONNECTIONS, layouts: LAYOUTS, selloutStock: SELLOUT_STOCK, selloutCustomers: SELLOUT_CUSTOMERS, selloutLimit: SELLOUT_LIMIT },
    throughput, sellouts, overload, soldOutFloods: floods, ratio8to1: ratio,
  });
  const failed = [
    ...sellouts
      .filter((s) => s.oversold !== 0 || s['units taken'] !== SELLOUT_STOCK || s['left unsold'] !== 0 || s['over limit'] !== 0)
      .map((s) => `sell-out wrong with ${s.shards} shard(s)`),
    ...overload.filter((o) => o['other 5xx'] !== 0 || o['503 without Retry-After'] !== 0).map((o) => `overload with ${o.shards} shard(s) answered a 5xx other than 503 with Retry-After`),
  ];
  if (failed.length > 0) {
    console.error(failed.join('\n'));
    process.exitCode = 1;
  }
}

await main();
