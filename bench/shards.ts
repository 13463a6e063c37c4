import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, edgeCall, startEdge, type RunningEdge } from './lib/edge';
import { LOAD_CORE, runLoad } from './lib/load';
import { printTable, writeResult, type Row } from './lib/report';

/**
 * One hot SKU served by 1 and by 8 shard objects, in workerd through Miniflare on this machine:
 * reservations by distinct buyers at 100 connections, then a sell-out of 1,000 units to 3,000
 * buyers that must end with exactly 1,000 units taken, every other buyer refused only once the
 * whole SKU is empty, and every unit accounted for. What one machine cannot show (objects on many
 * machines) is the simulation's subject (`npm run simulate`).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const LAYOUTS = (process.env.BENCH_SHARDS ?? '1,8').split(',').map(Number);
const AMPLE_STOCK = 100_000_000;
const SELLOUT_STOCK = 1_000;

const reserve = (edge: RunningEdge, sku: string, extra: { amount?: number; seconds?: number }) =>
  runLoad({
    url: edge.url,
    method: 'POST',
    path: `/v1/skus/${sku}/reservations`,
    headers: { authorization: `Bearer ${BENCH_STOREFRONT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: 'x', qty: 1 }),
    uniqueCustomers: true,
    connections: CONNECTIONS,
    seconds: extra.seconds ?? SECONDS,
    ...(extra.amount ? { amount: extra.amount } : {}),
  });

async function setStock(edge: RunningEdge, sku: string, onHand: number, shards: number) {
  const { status, json } = await edgeCall(edge.url, 'PUT', `/v1/admin/skus/${sku}/stock`, BENCH_ADMIN_KEY, { onHand, shards });
  if (status !== 200) throw new Error(`stock of ${sku}: ${status} ${JSON.stringify(json)}`);
}

async function shardsOf(edge: RunningEdge, sku: string) {
  const { json } = await edgeCall(edge.url, 'GET', `/v1/admin/skus/${sku}/shards`, BENCH_ADMIN_KEY);
  return json as { total: { onHand: number; reserved: number; sold: number; available: number; version: number }; shards: unknown[] };
}

async function main() {
  console.log(`one hot SKU over ${LAYOUTS.join(' and ')} shards: ${SECONDS} s at ${CONNECTIONS} connections, distinct buyers, load generator on core ${LOAD_CORE}`);
  const edge = await startEdge();
  const throughput: Row[] = [];
  const sellouts: Row[] = [];
  try {
    for (const shards of LAYOUTS) {
      const sku = `hot-${shards}`;
      await setStock(edge, sku, AMPLE_STOCK, shards);
      const load = await reserve(edge, sku, {});
      throughput.push({ shards, 'req/s': load.rps, p50: load.p50, p99: load.p99, '201': load.statuses['201'] ?? 0, '503': load.statuses['503'] ?? 0, errors: load.errors });
      console.log(`  ${shards} shard(s): ${Math.round(load.rps)} req/s, p99 ${load.p99} ms`);
    }
    for (const shards of LAYOUTS) {
      const sku = `sellout-${shards}`;
      await setStock(edge, sku, SELLOUT_STOCK, shards);
      const load = await reserve(edge, sku, { amount: 3 * SELLOUT_STOCK });
      const { total } = await shardsOf(edge, sku);
      const granted = load.statuses['201'] ?? 0;
      // Events beyond the stock settings and the reservations: the loans (two events each).
      const transfers = (total.version - shards - total.reserved) / 2;
      sellouts.push({
        shards,
        stock: total.onHand,
        '201': granted,
        '409': load.statuses['409'] ?? 0,
        '503': load.statuses['503'] ?? 0,
        'units taken': total.reserved,
        'left unsold': total.available,
        oversold: Math.max(0, total.reserved - total.onHand, granted - total.onHand),
        loans: transfers,
        'p99 ms': load.p99,
      });
    }
  } finally {
    await edge.close();
  }
  printTable('Reservations on one SKU, distinct buyers', throughput);
  printTable(`Sell-out: ${SELLOUT_STOCK.toLocaleString('en-US')} units, ${(3 * SELLOUT_STOCK).toLocaleString('en-US')} buyers`, sellouts);
  const rate = (n: number) => throughput.find((r) => r.shards === n)?.['req/s'] as number | undefined;
  const ratio = rate(8) && rate(1) ? rate(8)! / rate(1)! : null;
  console.log(`\n8 shards / 1 shard on this machine: ${ratio === null ? '–' : `${ratio.toFixed(2)}×`}`);
  writeResult('shards', { parameters: { seconds: SECONDS, connections: CONNECTIONS, layouts: LAYOUTS, selloutStock: SELLOUT_STOCK }, throughput, sellouts, ratio8to1: ratio });
  const failed = sellouts.filter((s) => s.oversold !== 0 || s['units taken'] !== SELLOUT_STOCK || s['left unsold'] !== 0);
  if (failed.length > 0) {
    console.error(`sell-out wrong for ${failed.map((s) => `${s.shards} shard(s)`).join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
