import { loadavg } from 'node:os';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, buildWorker } from './lib/edge';
import { fitLine } from './lib/fit';
import { intEnv } from './lib/params';
import { printTable, writeResult } from './lib/report';

/**
 * What one SKU object pays per group-commit batch (ADR 0021) as a function of its size: a tiny
 * driver Worker calls `Sku.reserveBatch` on one object with batches of n reserves, `LOOPS` calls
 * in flight so the object never idles, for a few seconds per size, ample stock, a fresh object
 * per size. Saturated, batches/s is the object's rate, so ms per batch is its cost (plus the
 * driver's, which shares workerd with it). Fits cost(n) = a + b·n: the simulation's batch cost.
 */
const SIZES = [1, 2, 4, 8, 16, 32, 64];
const MEASURE_MS = intEnv('BENCH_BATCH_MS', 3000);
const WARMUP_MS = 300;
const LOOPS = intEnv('BENCH_BATCH_LOOPS', 4);
const STOCK = 100_000_000;

/** The driver: one HTTP request runs one size to its end inside workerd (no HTTP per batch). */
const DRIVER = `
export default {
  async fetch(request, env) {
    const { sku, size, ms, warmupMs, loops, stock } = await request.json();
    const object = env.SKU.getByName(sku);
    const set = await object.setStock({ sku, onHand: stock });
    if (!set.ok) return Response.json({ error: set.error }, { status: 500 });
    let next = 0;
    const run = async (forMs) => {
      const counts = { batches: 0, reserved: 0, other: {} };
      const started = Date.now();
      const loop = async () => {
        while (Date.now() - started < forMs) {
          const calls = [];
          for (let i = 0; i < size; i++, next++) {
            calls.push({ req: { sku, customerId: 'c' + next, qty: 1, ttlSeconds: 300 }, idempotency: { scope: sku + '\\n' + next, requestHash: 'h' } });
          }
          const answers = await object.reserveBatch(calls);
          counts.batches++;
          for (const a of answers) {
            const code = 'thrown' in a ? 'thrown' : a.outcome.ok ? 'reserved' : a.outcome.error.code;
            if (code === 'reserved') counts.reserved++;
            else counts.other[code] = (counts.other[code] ?? 0) + 1;
          }
        }
      };
      await Promise.all(Array.from({ length: loops }, loop));
      return { ...counts, elapsedMs: Date.now() - started };
    };
    await run(warmupMs);
    return Response.json(await run(ms));
  },
};
`;

type SizeRun = { batches: number; reserved: number; other: Record<string, number>; elapsedMs: number };

async function main(): Promise<void> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
  // The machine is shared: its load says how much of the absolute cost is other work's.
  const loadBefore = loadavg()[0]!;
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      workers: [
        { name: 'driver', modules: true, script: DRIVER, compatibilityDate: '2026-11-01', durableObjects: { SKU: { className: 'Sku', scriptName: 'edge', useSQLite: true } } },
        {
          name: 'edge',
          modules: true,
          scriptPath: buildWorker(),
          compatibilityDate: '2026-11-01',
          durableObjects: { SKU: { className: 'Sku', useSQLite: true }, GENERATIONS: { className: 'Generations', useSQLite: true }, CHECKOUT: { className: 'Checkout', useSQLite: true } },
          kvNamespaces: ['PROJECTIONS'],
          bindings: { DEFAULT_TTL_SECONDS: '300', STOREFRONT_KEYS: BENCH_STOREFRONT_KEY, ADMIN_KEYS: BENCH_ADMIN_KEY, INTERNAL_SECRET: 'bench-internal-secret' },
        },
      ],
    }),
  );
  try {
    const url = (await mf.ready).origin;
    const rows = [];
    for (const size of SIZES) {
      const res = await fetch(url, { method: 'POST', body: JSON.stringify({ sku: `batch-cost-${size}`, size, ms: MEASURE_MS, warmupMs: WARMUP_MS, loops: LOOPS, stock: STOCK }) });
      const run = (await res.json()) as SizeRun;
      if (!res.ok) throw new Error(`size ${size}: ${JSON.stringify(run)}`);
      const seconds = run.elapsedMs / 1000;
      const msPerBatch = run.elapsedMs / run.batches;
      rows.push({ size, batches: run.batches, reserved: run.reserved, other: run.other, seconds, batchesPerSecond: run.batches / seconds, reservationsPerSecond: run.reserved / seconds, msPerBatch, msPerReservation: msPerBatch / size });
      process.stderr.write(`  size ${size}: ${Math.round(run.batches / seconds)} batches/s\n`);
    }
    const fit = fitLine(rows.map((r) => ({ x: r.size, y: r.msPerBatch })));
    printTable(
      `One SKU object, reserveBatch, ${LOOPS} calls in flight, ${MEASURE_MS / 1000} s per size`,
      rows.map((r) => ({
        size: r.size,
        'batches/s': Math.round(r.batchesPerSecond),
        'reservations/s': Math.round(r.reservationsPerSecond),
        'ms per batch': r.msPerBatch,
        'ms per reservation': r.msPerReservation,
        'fit ms': fit.a + fit.b * r.size,
        'not reserved': Object.entries(r.other).map(([code, n]) => `${code} ${n}`).join(', ') || 0,
      })),
    );
    console.log(`\ncost(n) = a + b·n: a = ${fit.a.toFixed(3)} ms per batch, b = ${fit.b.toFixed(3)} ms per reserve (least squares over ${rows.length} sizes)`);
    writeResult('batch-cost', { loadAverage: { before: loadBefore, after: loadavg()[0]! }, settings: { sizes: SIZES, measureMs: MEASURE_MS, warmupMs: WARMUP_MS, loops: LOOPS, stock: STOCK }, rows, fit: { aMs: fit.a, bMs: fit.b } });
    if (rows.some((r) => Object.keys(r.other).length > 0)) process.exitCode = 1;
  } finally {
    await mf.dispose();
  }
}

await main();
