import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, edgeCall, startEdge, type RunningEdge } from './lib/edge';
import { definitiveWithin2s, LOAD_CORE, runLoad, type LoadResult } from './lib/load';
import { printTable, writeResult, type Row } from './lib/report';

/**
 * `npm run bench:borrowing`: a sell-out that borrows (ADR 0023), in workerd through Miniflare on this
 * machine. One SKU over 8 shards, 8,000 units (1,000 each); 12,000 buyers at 100 connections,
 * each a reserve of one unit. Baseline: buyers spread over every shard (each sells its own units,
 * little borrowing). Skewed: every buyer's home is shard 0 or 1, so they sell 6,000 units they
 * borrow from six siblings. Reports every answer's p50/p99 (refusals included), the 201 and 409
 * p99 apart, honest availability per request, the loans, and the safety figures: 0 oversold, 0 left
 * unsold. The ratio skewed / baseline is what borrowing costs a buyer on this machine.
 */
const SHARDS = 8;
const STOCK = Number(process.env.BENCH_STOCK ?? 8_000);
const BUYERS = Number(process.env.BENCH_BUYERS ?? 12_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const CROWDS: { name: string; on: number[] | null }[] = [
  { name: 'spread over 8 shards', on: null },
  { name: 'homed on shards 0 and 1', on: [0, 1] },
];

async function sellOut(edge: RunningEdge, sku: string, on: number[] | null): Promise<LoadResult> {
  const set = await edgeCall(edge.url, 'PUT', `/v1/admin/skus/${sku}/stock`, BENCH_ADMIN_KEY, { onHand: STOCK, shards: SHARDS });
  if (set.status !== 200) throw new Error(`stock of ${sku}: ${set.status} ${JSON.stringify(set.json)}`);
  return runLoad({
    url: edge.url,
    method: 'POST',
    path: `/v1/skus/${sku}/reservations`,
    headers: { authorization: `Bearer ${BENCH_STOREFRONT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: 'x', qty: 1 }),
    uniqueCustomers: true,
    ...(on ? { homes: { shards: SHARDS, on } } : {}),
    connections: CONNECTIONS,
    seconds: 0,
    amount: BUYERS,
  });
}

/** The SKU's totals over its shards, and the loans its logs hold (a StockLent and a StockBorrowed each). */
async function totalsOf(edge: RunningEdge, sku: string) {
  const { json } = await edgeCall(edge.url, 'GET', `/v1/admin/skus/${sku}/shards`, BENCH_ADMIN_KEY);
  const { total } = json as { total: { onHand: number; reserved: number; available: number; version: number } };
  // Events beyond the stock settings and the reservations are the loans, two events each.
  return { ...total, loans: (total.version - SHARDS - total.reserved) / 2 };
}

const ms = (n: number | null | undefined) => (n === null || n === undefined ? '–' : Math.round(n));

async function main() {
  console.log(`${STOCK.toLocaleString('en-US')} units over ${SHARDS} shards, ${BUYERS.toLocaleString('en-US')} buyers at ${CONNECTIONS} connections, load generator on core ${LOAD_CORE}`);
  const edge = await startEdge({});
  const rows: Row[] = [];
  try {
    for (const [i, crowd] of CROWDS.entries()) {
      const sku = `borrow-${i}`;
      const load = await sellOut(edge, sku, crowd.on);
      const t = await totalsOf(edge, sku);
      rows.push({
        crowd: crowd.name,
        'req/s': load.rps,
        '201': load.statuses['201'] ?? 0,
        '409': load.statuses['409'] ?? 0,
        '503': load.statuses['503'] ?? 0,
        errors: load.errors,
        'p50 ms': ms(load.p50),
        'p99 ms': ms(load.p99),
        '201 p99': ms(load.byStatus['201']?.p99),
        '409 p99': ms(load.byStatus['409']?.p99),
        'definitive in 2 s %': Math.round(definitiveWithin2s(load) * 10_000) / 100,
        loans: t.loans,
        oversold: Math.max(0, t.reserved - t.onHand, (load.statuses['201'] ?? 0) - t.onHand),
        'left unsold': t.available,
      });
      console.log(`  ${crowd.name}: ${Math.round(load.rps)} req/s, p99 ${load.p99} ms, ${t.loans} loans`);
    }
  } finally {
    await edge.close();
  }
  printTable(`Sell-out with borrowing: ${STOCK.toLocaleString('en-US')} units over ${SHARDS} shards, ${BUYERS.toLocaleString('en-US')} buyers, ${CONNECTIONS} connections`, rows);
  const [spread, skewed] = rows as [Row, Row];
  const ratios = { rps: Number(skewed['req/s']) / Number(spread['req/s']), p99: Number(skewed['p99 ms']) / Number(spread['p99 ms']) };
  console.log(`\nskewed / spread: throughput ${ratios.rps.toFixed(2)}×, p99 ${ratios.p99.toFixed(2)}×`);
  writeResult('borrowing', { parameters: { shards: SHARDS, stock: STOCK, buyers: BUYERS, connections: CONNECTIONS }, rows, ratios });
  const wrong = rows.filter((r) => r.oversold !== 0 || r['left unsold'] !== 0 || r['201'] !== STOCK);
  if (wrong.length > 0) {
    console.error(`sell-out wrong: ${wrong.map((r) => r.crowd).join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
