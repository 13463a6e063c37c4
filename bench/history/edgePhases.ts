import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, edgeCall, startEdge, type EdgeOptions, type RunningEdge } from '../lib/edge';
import { intEnv } from '../lib/params';
import { round } from '../relay/figures';
import type { WindowResult } from './driver';
import type { HeapReading, IsolateHeap, Reachable } from './isolateHeap';
import { runDriver, workerdPid } from './load';
import { sqliteMiB, WorkerdSampler } from './workerdSampler';

export const SKU = 'HISTORY-HOT';

export const PARAMS = {
  reservations: intEnv('BENCH_HISTORY_RESERVATIONS', 200_000),
  window: intEnv('BENCH_HISTORY_WINDOW', 20_000),
  connections: intEnv('BENCH_HISTORY_CONNECTIONS', 10),
  /** Long enough to be completed or cancelled first, short enough that expiries run all along the sale. */
  ttlSeconds: intEnv('BENCH_HISTORY_TTL_SECONDS', 60),
  limitPerCustomer: 2,
  /** More buyers than reservations: the limit is checked on every reservation and binds only now and then. */
  customers: intEnv('BENCH_HISTORY_CUSTOMERS', 1_000_000),
  storm: intEnv('BENCH_HISTORY_STORM', 50_000),
  stormProbeSeconds: intEnv('BENCH_HISTORY_STORM_PROBE_SECONDS', 30),
  stormProbeWindow: 1_000,
};

const SALE = { completeShare: 0.5, cancelShare: 0.2 };
const STORM_DRAIN_WAIT_MS = 120_000;

export type Windowed = WindowResult & { rssMaxMiB: number; rssAnonMiB: number; rssFileMiB: number; workerdCpuMsPerReservation: number; sqliteMiB: number | null } & Partial<HeapReading>;

/** What else is read at each window's end: the isolate's heap, the size of the objects' SQLite files. */
export type Probes = { heap?: IsolateHeap; stateDir?: string };

// A short hold: it must lapse before the storm, which waits for every earlier hold to go.
const reserveOnce = (url: string, customerId: string) =>
  edgeCall(url, 'POST', `/v1/skus/${SKU}/reservations`, BENCH_STOREFRONT_KEY, { customerId, qty: 1, ttlSeconds: 1 }, { 'idempotency-key': `${customerId}-${Date.now()}` });

const counters = async (url: string) => (await edgeCall(url, 'GET', `/v1/skus/${SKU}?consistent=true`, BENCH_STOREFRONT_KEY)).json;

/** The sale: `reservations` on one SKU in windows, with workerd's memory (and the isolate heap, given one) per window. */
export async function saleInWindows(edge: RunningEdge, log: (line: string) => void, reservations = PARAMS.reservations, probes: Probes = {}): Promise<Windowed[] & { reachable: { before: Reachable; after: Reachable } | null }> {
  const stock = await edgeCall(edge.url, 'PUT', `/v1/admin/skus/${SKU}/stock`, BENCH_ADMIN_KEY, { onHand: 100_000_000, limitPerCustomer: PARAMS.limitPerCustomer });
  if (stock.status !== 200) throw new Error(`set stock: ${stock.status} ${JSON.stringify(stock.json)}`);
  const before = await reachable(probes, 'before the sale', log);
  const workerd = new WorkerdSampler(workerdPid());
  const windows: Windowed[] = [];
  // Read while the next window runs: the callback is synchronous, the inspector is not.
  const heaps: Promise<void>[] = [];
  try {
    await runDriver(
      { url: edge.url, sku: SKU, key: BENCH_STOREFRONT_KEY, connections: PARAMS.connections, reservations, window: Math.min(PARAMS.window, reservations), ttlSeconds: PARAMS.ttlSeconds, customers: PARAMS.customers, runId: `sale-${Date.now()}`, ...SALE },
      (w) => {
        const { cpuMs, ...memory } = workerd.take();
        const windowed: Windowed = { ...w, ...memory, workerdCpuMsPerReservation: round(cpuMs / w.reservations, 2), sqliteMiB: probes.stateDir ? sqliteMiB(probes.stateDir) : null };
        windows.push(windowed);
        log(`  window ${w.window}: ${w.reservesPerSecond} reservations/s (${w.requestsPerSecond} req/s), p50 ${w.p50} ms, p99 ${w.p99} ms, workerd RSS ≤ ${memory.rssMaxMiB} MiB (anon ${memory.rssAnonMiB}, file ${memory.rssFileMiB}), SQLite files ${windowed.sqliteMiB ?? '?'} MiB, workerd CPU ${windowed.workerdCpuMsPerReservation} ms/reservation, ${JSON.stringify(w.statuses)}`);
        if (probes.heap) {
          heaps.push(probes.heap.read().then((heap) => {
            Object.assign(windowed, heap);
            log(`  window ${w.window}: isolate heap: V8 used ${heap.heapUsedMiB} of ${heap.heapTotalMiB} MiB, ${heap.heapExternalMiB} MiB outside the heap; Miniflare's other isolates ${heap.otherIsolatesHeapMiB} MiB live of ${heap.otherIsolatesHeapTotalMiB} MiB`);
          }));
        }
      },
    );
  } finally {
    workerd.stop();
    await Promise.all(heaps);
  }
  const after = await reachable(probes, 'after the sale', log);
  return Object.assign(windows, { reachable: before && after ? { before, after } : null });
}

async function reachable(probes: Probes, when: string, log: (line: string) => void): Promise<Reachable | null> {
  if (!probes.heap) return null;
  const r = await probes.heap.reachable();
  log(`  isolate heap reachable ${when}: ${r.heapReachableMiB} MiB (snapshot ${r.snapshotMs} ms)`);
  return r;
}

/**
 * The runtime stopped and started again on the same storage (a deploy, an eviction of every
 * object): how long the Worker's first request takes once the runtime answers, then the hot
 * SKU's first command (the object's cold start: migrations checked, one row of counters read).
 */
export async function coldStart(edge: RunningEdge, options: EdgeOptions): Promise<{ edge: RunningEdge; result: Record<string, number> }> {
  await edge.close();
  const spawned = performance.now();
  const restarted = await startEdge({}, options);
  const ready = performance.now();
  // The Worker's own isolate first (any route), so that what follows times the object alone.
  await fetch(`${restarted.url}/healthz`).then((r) => r.text());
  const isolateMs = performance.now() - ready;
  const objectStart = performance.now();
  const first = await reserveOnce(restarted.url, 'cold-start-buyer');
  const firstMs = performance.now() - objectStart;
  if (first.status !== 201) throw new Error(`first command after restart: ${first.status} ${JSON.stringify(first.json)}`);
  const again = performance.now();
  await reserveOnce(restarted.url, 'cold-start-buyer-2');
  const secondMs = performance.now() - again;
  const rssMiB = new WorkerdSampler(workerdPid()).stop();
  return {
    edge: restarted,
    result: { runtimeStartMs: round(ready - spawned), workerFirstRequestMs: round(isolateMs, 2), firstCommandMs: round(firstMs, 2), secondCommandMs: round(secondMs, 2), version: first.json.version, rssAfterMiB: rssMiB },
  };
}

type StormResult = {
  holds: number;
  expired: number;
  dueAt: string;
  firstExpiredAfterMs: number | null;
  lastExpiredAfterMs: number | null;
  expiriesPerSecond: number | null;
  probe: WindowResult[];
  probeP99MaxMs: number;
};

/**
 * `storm` holds made to fall due in the same second, then buyers keep reserving through the
 * expiries: the alarm must take the holds in bounded chunks and let reservations commit between.
 */
export async function expiryStorm(edge: RunningEdge, reservationsPerSecond: number, log: (line: string) => void): Promise<StormResult> {
  // Generous: holds made after their due time would not fall due together, and the run would be void.
  const buildSeconds = PARAMS.storm / Math.max(25, reservationsPerSecond / 2);
  const aimAt = Date.now() + Math.ceil(buildSeconds + 20) * 1000;
  // The sale's own holds lapse first, so that every expiry after this point is one of the storm's.
  for (let deadline = Date.now() + 3 * PARAMS.ttlSeconds * 1000; (await counters(edge.url)).reserved > 0; ) {
    if (Date.now() > deadline) throw new Error('the sale\'s holds did not lapse');
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const before = await counters(edge.url);
  log(`  making ${PARAMS.storm.toLocaleString('en-US')} holds due at ${new Date(aimAt).toISOString()}`);
  const building = performance.now();
  await runDriver({ url: edge.url, sku: SKU, key: BENCH_STOREFRONT_KEY, connections: PARAMS.connections, reservations: PARAMS.storm, window: PARAMS.storm, ttlSeconds: 1, customers: PARAMS.customers, runId: `storm-${Date.now()}`, aimAt, completeShare: 0, cancelShare: 0 });
  log(`  made in ${round((performance.now() - building) / 1000)} s`);
  const built = await counters(edge.url);
  if (Date.now() >= aimAt) throw new Error('the holds were not all made before they fell due: lower BENCH_HISTORY_STORM');
  await new Promise((r) => setTimeout(r, aimAt - Date.now()));
  log(`  holds due; buyers reserving for ${PARAMS.stormProbeSeconds} s`);
  const probe = await runDriver({ url: edge.url, sku: SKU, key: BENCH_STOREFRONT_KEY, connections: PARAMS.connections, reservations: Number.MAX_SAFE_INTEGER, window: PARAMS.stormProbeWindow, ttlSeconds: 300, customers: PARAMS.customers, runId: `probe-${Date.now()}`, seconds: PARAMS.stormProbeSeconds, ...SALE }, (w) =>
    log(`  probe window ${w.window}: ${w.reservesPerSecond} reservations/s, p99 ${w.p99} ms`),
  );
  const holds = built.reserved - before.reserved;
  // The storm may outlast the probe (smaller chunks trade drain time for latency): its end is
  // when the last hold went, however long after the probe that is.
  let expiries = await expiredAfter(edge.url, built.version);
  for (let deadline = Date.now() + STORM_DRAIN_WAIT_MS; expiries.length < holds && Date.now() < deadline; expiries = await expiredAfter(edge.url, built.version)) {
    await new Promise((r) => setTimeout(r, 2_000));
  }
  return {
    holds,
    expired: expiries.length,
    dueAt: new Date(aimAt).toISOString(),
    firstExpiredAfterMs: expiries.length ? expiries[0]! - aimAt : null,
    lastExpiredAfterMs: expiries.length ? expiries.at(-1)! - aimAt : null,
    expiriesPerSecond: expiries.length > 1 ? round((expiries.length * 1000) / Math.max(1, expiries.at(-1)! - expiries[0]!)) : null,
    probe,
    probeP99MaxMs: Math.max(...probe.map((w) => w.p99)),
  };
}

/** When each `expired` release after `version` was committed, in order, from the SKU's log. */
async function expiredAfter(url: string, version: number): Promise<number[]> {
  const at: number[] = [];
  for (let after = version; ; ) {
    const page = await edgeCall(url, 'GET', `/v1/admin/skus/${SKU}/events?after=${after}&limit=1000`, BENCH_ADMIN_KEY);
    const events = page.json.events as { version: number; type: string; at: string; data: { reason?: string } }[];
    if (events.length === 0) return at;
    for (const e of events) if (e.type === 'StockReleased' && e.data.reason === 'expired') at.push(Date.parse(e.at));
    after = events.at(-1)!.version;
  }
}
