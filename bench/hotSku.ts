import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../test/e2e/support/processes';
import { BASELINES, type Baseline, type Durability } from './baselines/stores';
import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, edgeCall, startEdge, startNoopEdge } from './lib/edge';
import { LOAD_CORE, runLoad, type LoadResult } from './lib/load';
import { printTable, writeResult, type Row } from './lib/report';
import { workerdPid } from './history/load';
import { cpuMs } from './relay/rss';

/**
 * Hot single-SKU reservations: this system (Worker + SKU object in workerd) against the designs
 * it replaces, each behind the same HTTP request shape, same stock, the load generator pinned to
 * one core. Then the ceiling (a no-op Worker → object round trip), projection vs consistent
 * reads, and a sell-out run per system that counts oversold units.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const STEPS = (process.env.BENCH_CONCURRENCY ?? '1,10,100,1000').split(',').map(Number);
const AMPLE_STOCK = 100_000_000;
const SELLOUT_STOCK = 1_000;
const SELLOUT_CONNECTIONS = 100;
/** The edge runs twice: each reserve decided alone (RESERVE_GROUP_MAX=1), and grouped in the object, up to this many per transaction (ADR 0021, the default). */
const GROUP_COMMIT_MAX = Number(process.env.BENCH_RESERVE_GROUP_MAX ?? 64);
const EDGE = 'this system (edge)';
const EDGE_GROUPED = `this system (edge, group commit ≤ ${GROUP_COMMIT_MAX} in the object)`;

type System = {
  name: string;
  durability: string;
  url: string;
  setStock(sku: string, onHand: number): Promise<void>;
  counters(sku: string): Promise<{ onHand: number; reserved: number; version?: number }>;
  close(): Promise<void>;
  /** CPU the system's own process spent so far, ms (workerd for the edge); undefined where not measured. */
  cpuMs?: () => number;
  /** The groups the SKU's object decided and the commands in them (`Sku.commandGroups`; null: grouping off). */
  groups?: (sku: string) => Promise<{ groups: number; commands: number } | null>;
};

const reservationLoad = (url: string, sku: string, connections: number, amount?: number) =>
  runLoad({
    ...(amount ? { amount } : {}),
    url,
    method: 'POST',
    path: `/v1/skus/${sku}/reservations`,
    headers: { authorization: `Bearer ${BENCH_STOREFRONT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: 'bench-buyer', qty: 1 }),
    connections,
    seconds: SECONDS,
  });

async function edgeSystem(groupMax: number): Promise<System> {
  const edge = await startEdge({ RESERVE_GROUP_MAX: String(groupMax) });
  const pid = workerdPid();
  return {
    name: groupMax > 1 ? EDGE_GROUPED : EDGE,
    cpuMs: () => cpuMs(pid),
    durability: 'workerd local SQLite',
    url: edge.url,
    setStock: async (sku, onHand) => void (await edgeCall(edge.url, 'PUT', `/v1/admin/skus/${sku}/stock`, BENCH_ADMIN_KEY, { onHand })),
    counters: async (sku) => {
      const { json } = await edgeCall(edge.url, 'GET', `/v1/skus/${sku}?consistent=true`, BENCH_STOREFRONT_KEY);
      return { onHand: json.onHand, reserved: json.reserved + json.sold, version: json.version };
    },
    groups: async (sku) => {
      const ns = await edge.mf.getDurableObjectNamespace('SKU');
      return (ns.get(ns.idFromName(sku)) as unknown as { commandGroups: Promise<{ groups: number; commands: number } | null> }).commandGroups;
    },
    close: () => edge.close(),
  };
}

async function baselineSystem(kind: Baseline, durability: Durability): Promise<System> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'baselines', 'server.ts'), kind, durability, String(port), BENCH_STOREFRONT_KEY], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    name: kind,
    durability: durabilityLabel(kind, durability),
    url,
    setStock: async (sku, onHand) => void (await fetch(`${url}/bench/stock/${sku}`, { method: 'PUT', body: JSON.stringify({ onHand }) })),
    counters: async (sku) => (await (await fetch(`${url}/bench/counters/${sku}`)).json()) as { onHand: number; reserved: number },
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

const durabilityLabel = (kind: Baseline, d: Durability) =>
  kind === 'redis-lua' ? `AOF appendfsync ${d === 'fsync' ? 'always' : 'everysec'}` : `synchronous_commit ${d === 'fsync' ? 'on' : 'off'}`;

/** Redis persistence is server-wide: set for the run, restored afterwards. */
async function withRedisDurability<T>(durability: Durability, work: () => Promise<T>): Promise<T> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const [, appendonly] = (await redis.config('GET', 'appendonly'));
  const [, appendfsync] = (await redis.config('GET', 'appendfsync'));
  try {
    await redis.config('SET', 'appendonly', 'yes');
    await redis.config('SET', 'appendfsync', durability === 'fsync' ? 'always' : 'everysec');
    return await work();
  } finally {
    await redis.config('SET', 'appendfsync', appendfsync!);
    await redis.config('SET', 'appendonly', appendonly!);
    redis.disconnect();
  }
}

type Step = { system: string; durability: string; connections: number } & LoadResult & {
  granted: number; committed: number; eventsPerCommit: number | null; cpuMsPerReservation: number | null;
  /** Commands the object decided per transaction on average (group commit); null where not grouped. */
  meanGroup: number | null;
};

async function measure(system: System): Promise<{ steps: Step[]; sellout: Row }> {
  const steps: Step[] = [];
  for (const connections of STEPS) {
    const sku = `hot-${connections}`;
    await system.setStock(sku, AMPLE_STOCK);
    const before = await system.counters(sku);
    const cpuBefore = system.cpuMs?.();
    const load = await reservationLoad(system.url, sku, connections);
    const cpuAfter = system.cpuMs?.();
    const after = await system.counters(sku);
    const granted = load.statuses['201'] ?? 0;
    // Events appended per reservation taken; with group commit a storage commit holds `meanGroup` commands.
    const eventsPerCommit = after.version !== undefined && before.version !== undefined && after.reserved > before.reserved ? (after.version - before.version) / (after.reserved - before.reserved) : null;
    const committed = after.reserved - before.reserved;
    const cpuMsPerReservation = cpuBefore !== undefined && cpuAfter !== undefined && committed > 0 ? (cpuAfter - cpuBefore) / committed : null;
    const groups = await system.groups?.(sku);
    const meanGroup = groups && groups.groups > 0 ? groups.commands / groups.groups : null;
    steps.push({ system: system.name, durability: system.durability, connections, ...load, granted, committed, eventsPerCommit, cpuMsPerReservation, meanGroup });
    console.log(`  ${system.name} (${system.durability}) × ${connections}: ${Math.round(load.rps)} req/s, p99 ${load.p99} ms${meanGroup === null ? '' : `, ${meanGroup.toFixed(1)} reserves per commit`}`);
  }
  await system.setStock('sellout', SELLOUT_STOCK);
  // Three buyers per unit, every request answered: the sale ends sold out on every system.
  const load = await reservationLoad(system.url, 'sellout', SELLOUT_CONNECTIONS, 3 * SELLOUT_STOCK);
  const { onHand, reserved } = await system.counters('sellout');
  const sellout = {
    system: system.name,
    durability: system.durability,
    stock: onHand,
    '201 answers': load.statuses['201'] ?? 0,
    '409 answers': load.statuses['409'] ?? 0,
    'units taken': reserved,
    oversold: Math.max(0, reserved - onHand, (load.statuses['201'] ?? 0) - onHand),
  };
  return { steps, sellout };
}

async function ceiling(edgeRps: number | undefined, groupedRps: number | undefined): Promise<Row> {
  const noop = await startNoopEdge();
  try {
    const load = await runLoad({ url: noop.url, method: 'GET', path: '/', headers: {}, connections: 100, seconds: SECONDS });
    return {
      'no-op Worker → object req/s': load.rps,
      p50: load.p50,
      p99: load.p99,
      'reservation path / ceiling': edgeRps ? edgeRps / load.rps : null,
      'group commit / ceiling': groupedRps ? groupedRps / load.rps : null,
    };
  } finally {
    await noop.close();
  }
}

async function reads(): Promise<Row[]> {
  const edge = await startEdge();
  try {
    await edgeCall(edge.url, 'PUT', '/v1/admin/skus/read-hot/stock', BENCH_ADMIN_KEY, { onHand: 1000 });
    // The alarm writes the view to KV shortly after the commit.
    for (let i = 0; i < 50 && (await edgeCall(edge.url, 'GET', '/v1/skus/read-hot', BENCH_STOREFRONT_KEY)).json?.source !== 'projection'; i++) await new Promise((r) => setTimeout(r, 100));
    const read = (query: string) => runLoad({ url: edge.url, method: 'GET', path: `/v1/skus/read-hot${query}`, headers: { authorization: `Bearer ${BENCH_STOREFRONT_KEY}` }, connections: 10, seconds: SECONDS });
    const projection = await read('');
    const consistent = await read('?consistent=true');
    return [
      { read: 'projection (KV)', 'req/s': projection.rps, p50: projection.p50, p99: projection.p99, errors: projection.errors },
      { read: 'consistent (object)', 'req/s': consistent.rps, p50: consistent.p50, p99: consistent.p99, errors: consistent.errors },
      { read: 'ratio projection/consistent', 'req/s': projection.rps / consistent.rps, p50: projection.p50 / Math.max(consistent.p50, 0.001), p99: projection.p99 / Math.max(consistent.p99, 0.001), errors: null },
    ];
  } finally {
    await edge.close();
  }
}

function durabilitySettings(): Record<string, string> {
  const psql = (q: string) => execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-At', '-c', q]).toString().trim();
  const redis = (k: string) => execFileSync('redis-cli', ['config', 'get', k]).toString().trim().split('\n')[1] ?? '?';
  return {
    'postgres fsync': psql('SHOW fsync'),
    'postgres synchronous_commit (server default)': psql('SHOW synchronous_commit'),
    'postgres wal_sync_method': psql('SHOW wal_sync_method'),
    'redis appendonly (server default)': redis('appendonly'),
    'redis appendfsync (server default)': redis('appendfsync'),
  };
}

async function main() {
  const settings = durabilitySettings();
  console.log(`hot single-SKU reservations: ${SECONDS} s per step, connections ${STEPS.join(', ')}, load generator pinned to core ${LOAD_CORE}`);
  const steps: Step[] = [];
  const sellouts: Row[] = [];
  const run = async (open: () => Promise<System>) => {
    const system = await open();
    try {
      const { steps: s, sellout } = await measure(system);
      steps.push(...s);
      sellouts.push(sellout);
    } finally {
      await system.close();
    }
  };
  await run(() => edgeSystem(1));
  await run(() => edgeSystem(GROUP_COMMIT_MAX));
  for (const durability of ['fsync', 'async'] as const) {
    for (const kind of BASELINES) {
      const open = () => baselineSystem(kind, durability);
      await (kind === 'redis-lua' ? withRedisDurability(durability, () => run(open)) : run(open));
    }
  }
  const at = (system: string, c: number) => steps.find((s) => s.system === system && s.connections === c);
  const edgeAt = (c: number) => at(EDGE, c);
  const isEdge = (s: Step) => s.system === EDGE || s.system === EDGE_GROUPED;
  const table = steps.map((s) => ({
    system: s.system,
    durability: s.durability,
    conns: s.connections,
    'req/s': s.rps,
    'p50 ms': s.p50,
    'p99 ms': s.p99,
    'p99.9 ms': s.p999,
    errors: s.errors + Object.entries(s.statuses).filter(([code]) => code !== '201').reduce((n, [, v]) => n + v, 0),
    'workerd CPU ms / reservation': s.cpuMsPerReservation,
    'this system ÷ it': isEdge(s) ? null : (edgeAt(s.connections)?.rps ?? 0) / s.rps,
    'group commit ÷ it': isEdge(s) ? null : (at(EDGE_GROUPED, s.connections)?.rps ?? 0) / s.rps,
  }));
  printTable('Reservations on one hot SKU', table);
  printTable(`Sell-out: ${SELLOUT_STOCK} units, ${SELLOUT_CONNECTIONS} connections`, sellouts);
  const ceilingRow = await ceiling(edgeAt(100)?.rps, at(EDGE_GROUPED, 100)?.rps);
  printTable('Ceiling: no-op Worker → Durable Object round trip (100 connections)', [ceilingRow]);
  const eventsPerCommit = steps.filter((s) => s.eventsPerCommit !== null).map((s) => ({ system: s.system, conns: s.connections, 'events per reservation': s.eventsPerCommit, 'reserves per storage commit': s.meanGroup ?? 1 }));
  printTable('Edge: events appended per reservation, and reserves decided per storage transaction (group commit)', eventsPerCommit);
  const readRows = await reads();
  printTable('Reads of one SKU (10 connections)', readRows);
  printTable('Durability settings', Object.entries(settings).map(([setting, value]) => ({ setting, value })));
  const oversoldByEdge = sellouts.filter((s) => s.system === EDGE || s.system === EDGE_GROUPED).reduce((n, s) => n + Number(s.oversold ?? 0), 0);
  // A run over chosen steps keeps its own file: the simulation calibrates from the full run's.
  writeResult(process.env.BENCH_CONCURRENCY ? 'hot-sku-partial' : 'hot-sku', { parameters: { seconds: SECONDS, connections: STEPS, loadCore: LOAD_CORE, sellout: { stock: SELLOUT_STOCK, connections: SELLOUT_CONNECTIONS } }, durability: settings, steps, sellouts, ceiling: ceilingRow, eventsPerCommit, reads: readRows });
  if (oversoldByEdge !== 0) {
    console.error(`this system oversold ${oversoldByEdge} units`);
    process.exitCode = 1;
  }
}

await main();
