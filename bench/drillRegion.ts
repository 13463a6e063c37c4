import { createStorefrontClient, StorefrontError } from '../src/client';
import { isDefinitive, tallyAvailability, availabilityOf, type Attempt } from '../src/contract/availability';
import { homeShard, regionOfShard, type ShardRegion } from '../src/domain/sku';
import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, edgeCall, startEdge, type RunningEdge } from './lib/edge';
import { intEnv } from './lib/params';
import { printTable, writeResult, type Row } from './lib/report';

/**
 * `npm run drill:region` (issue 25, ADR 0022): a region lost mid-sale, in the real runtime. One SKU
 * split over 8 shards in two regions, buyers reserving through the storefront client (its retries,
 * Retry-After, one Idempotency-Key per purchase); after `DRILL_WARM_S` the fault switch (local and
 * test only) makes every shard in the second region unreachable for `DRILL_OUTAGE_S`, then brings
 * them back. Reports honest availability (a definitive answer within 2 s, retries included) and
 * accepted/refused p99 before, during and after; oversold units; per-customer limit overshoot
 * against its bound (one limit); and units left unsold once buyers kept coming after recovery.
 */
const SHARDS = 8;
const REGIONS: ShardRegion[] = ['enam', 'weur'];
const LOST: ShardRegion = 'weur';
const STOCK = intEnv('DRILL_STOCK', 6_000);
const LIMIT = 2;
const BUYERS = intEnv('DRILL_BUYERS', 48);
const CUSTOMERS = intEnv('DRILL_CUSTOMERS', 20_000);
const WARM_S = intEnv('DRILL_WARM_S', 4);
const OUTAGE_S = intEnv('DRILL_OUTAGE_S', 10);
const AFTER_S = intEnv('DRILL_AFTER_S', 6);
const MODE = process.env.DRILL_MODE === 'hang' ? 'hang' : 'unreachable';
const DRAIN_S = 30;

type Phase = 'before' | 'outage' | 'after';
type Purchase = Attempt & { phase: Phase; status: number; code: string | null; customerId: string; qty: number; reservationId: string | null; lostHome: boolean };

const percentile = (values: number[], q: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
};

async function buy(client: ReturnType<typeof createStorefrontClient>, sku: string, customerId: string, qty: number, phase: Phase): Promise<Purchase> {
  const startedMs = Date.now();
  const lostHome = regionOfShard(REGIONS, homeShard(customerId, SHARDS)) === LOST;
  const base = { startedMs, phase, customerId, qty, lostHome };
  try {
    const r = await client.reserve(sku, { customerId, qty });
    return { ...base, endedMs: Date.now(), definitive: true, status: 201, code: null, reservationId: r.reservationId };
  } catch (error) {
    if (!(error instanceof StorefrontError)) throw error;
    return { ...base, endedMs: Date.now(), definitive: isDefinitive(error.status, error.code), status: error.status, code: error.code, reservationId: null };
  }
}

function phaseRow(phase: string, purchases: Purchase[]): Row {
  const tally = tallyAvailability(purchases);
  const took = (p: Purchase) => p.endedMs - p.startedMs;
  const accepted = purchases.filter((p) => p.status === 201).map(took);
  const refused = purchases.filter((p) => p.status !== 201 && p.definitive).map(took);
  return {
    phase,
    purchases: purchases.length,
    'honest availability %': Number((100 * availabilityOf(tally)).toFixed(3)),
    late: tally.late,
    unanswered: tally.unanswered,
    granted: purchases.filter((p) => p.status === 201).length,
    'true refusals': refused.length,
    'accepted p50 ms': percentile(accepted, 0.5),
    'accepted p99 ms': percentile(accepted, 0.99),
    'refused p99 ms': percentile(refused, 0.99),
    'all p99 ms': percentile(purchases.map(took), 0.99),
    'home in lost region': purchases.filter((p) => p.lostHome).length,
  };
}

async function sale(edge: RunningEdge, sku: string): Promise<{ purchases: Purchase[]; outageAt: number; backAt: number }> {
  const client = createStorefrontClient({ baseUrl: edge.url, apiKey: BENCH_STOREFRONT_KEY, timeoutMs: 5_000 });
  const started = Date.now();
  const outageAt = started + WARM_S * 1000;
  const backAt = outageAt + OUTAGE_S * 1000;
  const endAt = backAt + AFTER_S * 1000;
  const phaseAt = (t: number): Phase => (t < outageAt ? 'before' : t < backAt ? 'outage' : 'after');
  const purchases: Purchase[] = [];
  const fault = async (regionsDown: ShardRegion[], at: number) => {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
    const { status, json } = await edgeCall(edge.url, 'PUT', `/v1/admin/skus/${sku}/faults`, BENCH_ADMIN_KEY, { regionsDown, mode: MODE });
    if (status !== 200) throw new Error(`fault switch refused: ${status} ${JSON.stringify(json)}`);
    console.log(`  ${((Date.now() - started) / 1000).toFixed(1)} s: ${regionsDown.length ? `${regionsDown.join(',')} down (${MODE})` : 'every region back'}`);
  };
  const buyer = async () => {
    while (Date.now() < endAt) {
      const customerId = `c-${Math.floor(Math.random() * CUSTOMERS)}`;
      const qty = Math.random() < 0.2 ? 2 : 1;
      purchases.push(await buy(client, sku, customerId, qty, phaseAt(Date.now())));
    }
  };
  await Promise.all([...Array.from({ length: BUYERS }, buyer), fault([LOST], outageAt), fault([], backAt)]);
  return { purchases, outageAt, backAt };
}

/** After the sale: fresh buyers keep coming until nothing is left, so units stranded by the outage would show. */
async function drain(edge: RunningEdge, sku: string): Promise<{ sold: number; left: number }> {
  const client = createStorefrontClient({ baseUrl: edge.url, apiKey: BENCH_STOREFRONT_KEY });
  const until = Date.now() + DRAIN_S * 1000;
  let sold = 0;
  for (let round = 0; Date.now() < until; round++) {
    const { json } = await edgeCall(edge.url, 'GET', `/v1/skus/${sku}?consistent=true`, BENCH_STOREFRONT_KEY);
    if (json.available === 0) return { sold, left: 0 };
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => buy(client, sku, `drain-${round}-${i}`, 1, 'after')));
    sold += results.filter((r) => r.status === 201).length;
    if (results.every((r) => r.status !== 201)) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const { json } = await edgeCall(edge.url, 'GET', `/v1/skus/${sku}?consistent=true`, BENCH_STOREFRONT_KEY);
  return { sold, left: json.available as number };
}

async function main() {
  console.log(`regional drill: ${SHARDS} shards over ${REGIONS.join(', ')}, ${STOCK} units, limit ${LIMIT}; ${BUYERS} buyers; ${LOST} down after ${WARM_S} s for ${OUTAGE_S} s (${MODE}), then ${AFTER_S} s`);
  const edge = await startEdge({ FAULT_INJECTION: 'on' });
  try {
    const sku = 'drill-region';
    const set = await edgeCall(edge.url, 'PUT', `/v1/admin/skus/${sku}/stock`, BENCH_ADMIN_KEY, { onHand: STOCK, shards: SHARDS, shardRegions: REGIONS, limitPerCustomer: LIMIT });
    if (set.status !== 200) throw new Error(`stock: ${set.status} ${JSON.stringify(set.json)}`);
    const { purchases } = await sale(edge, sku);
    const drained = await drain(edge, sku);
    const { json: counters } = await edgeCall(edge.url, 'GET', `/v1/skus/${sku}?consistent=true`, BENCH_STOREFRONT_KEY);
    const held = new Map<string, number>();
    for (const p of purchases) if (p.reservationId) held.set(p.customerId, (held.get(p.customerId) ?? 0) + p.qty);
    const overshoot = Math.max(0, ...[...held.values()].map((units) => units - LIMIT));
    const rows = [phaseRow('before', purchases.filter((p) => p.phase === 'before')), phaseRow(`outage (${LOST} down)`, purchases.filter((p) => p.phase === 'outage')), phaseRow('after', purchases.filter((p) => p.phase === 'after')), phaseRow('whole sale', purchases)];
    printTable('Regional drill: each purchase through the storefront client, honest availability (definitive within 2 s)', rows);
    const safety = {
      'units': STOCK,
      'reserved + sold': counters.reserved + counters.sold,
      oversold: Math.max(0, counters.reserved + counters.sold - counters.onHand),
      'customers over the limit': [...held.values()].filter((u) => u > LIMIT).length,
      'largest overshoot (units)': overshoot,
      'overshoot bound (units)': LIMIT,
      'sold in the drain': drained.sold,
      'left unsold after recovery': drained.left,
    };
    printTable('Safety', [safety]);
    const outage = rows[1]!;
    const checks = [
      { target: '0 oversold', measured: safety.oversold, met: safety.oversold === 0 },
      { target: `limit overshoot ≤ one limit (${LIMIT})`, measured: overshoot, met: overshoot <= LIMIT },
      { target: '0 units left unsold after recovery', measured: drained.left, met: drained.left === 0 },
      { target: 'honest availability during the outage ≥ 99.99%', measured: outage['honest availability %'], met: Number(outage['honest availability %']) >= 99.99 },
    ];
    printTable('Targets', checks.map((c) => ({ target: c.target, measured: c.measured ?? null, verdict: c.met ? 'met' : 'NOT MET' })));
    writeResult(MODE === 'hang' ? 'drill-region-hang' : 'drill-region', { parameters: { shards: SHARDS, regions: REGIONS, lost: LOST, mode: MODE, stock: STOCK, limit: LIMIT, buyers: BUYERS, customers: CUSTOMERS, warmSeconds: WARM_S, outageSeconds: OUTAGE_S, afterSeconds: AFTER_S }, rows, safety, checks });
    // Safety is a hard failure; availability is reported (this machine is not the network it models).
    if (!checks.slice(0, 3).every((c) => c.met)) process.exitCode = 1;
  } finally {
    await edge.close();
  }
}

await main();
