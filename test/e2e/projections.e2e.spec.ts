import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RebuildStatus } from '../../bridge/projections/rebuild';
import { evolve, initialSkuState, skuCounters, type SkuCounters } from '../../src/domain/sku';
import { runCli } from './support/cli';
import { BRIDGE_ADMIN_KEY, freePort, startBridgeProcess, type BridgeProcess } from './support/processes';
import { objectLog, pool, waitFor } from './support/system';
import { ADMIN_KEY, startWorker } from './support/worker';
import { bridgeAdminCaller, edgeCaller } from './support/json';

/**
 * Blue-green rebuilds of the read model under live traffic: the Worker in workerd, the bridge
 * (embedded log, snapshots on, no saga) replaying the log into a shadow generation and switching.
 */
const secret = randomBytes(32).toString('hex');
let worker: Awaited<ReturnType<typeof startWorker>>;
let bridge: BridgeProcess;
let dataDir: string;
const SKUS = Array.from({ length: 6 }, (_, i) => `PROJ-${i}`);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'projections-e2e-'));
  const bridgePort = await freePort();
  worker = await startWorker({ BRIDGE_URL: `http://127.0.0.1:${bridgePort}`, INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
  bridge = await startBridgeProcess({
    BRIDGE_PORT: String(bridgePort),
    INTERNAL_SECRET: secret,
    EDGE_URL: worker.url,
    BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEY,
    BRIDGE_DATA_DIR: dataDir,
    SAGA: 'off',
    FEED: 'off',
    // Empty, not unset: a KAFKA_BROKERS of the shell running the tests must not switch the log to Kafka.
    KAFKA_BROKERS: '',
    SNAPSHOT_EVERY_EVENTS: '200',
  });
});

afterAll(async () => {
  await bridge?.kill('SIGTERM');
  await worker?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const edge = edgeCaller(() => worker.url);

const admin = bridgeAdminCaller(() => bridge.adminUrl);

let n = 0;
/** Reservations, a quarter of them with a 1 s TTL so that expiries run too. */
const traffic = (count: number) =>
  pool(
    Array.from({ length: count }, () => {
      const i = n++;
      const sku = SKUS[i % SKUS.length]!;
      return () => edge(`/v1/skus/${sku}/reservations`, 'POST', { customerId: `p${i}`, qty: 1, ...(i % 4 === 0 ? { ttlSeconds: 1 } : {}) }, { 'idempotency-key': `p${i}` });
    }),
    12,
  );

async function relayed(): Promise<boolean> {
  const statuses = await Promise.all(SKUS.map((sku) => worker.env.SKU.getByName(sku).relayStatus(sku)));
  return statuses.every((s) => s.ok && s.value.pending === 0);
}

async function rebuild(from: 'snapshots' | 'beginning'): Promise<RebuildStatus> {
  const started = await admin('/projections/rebuild', 'POST', { from, graceSeconds: 30 });
  expect(started.status).toBe(202);
  let status: RebuildStatus = started.json;
  await waitFor('the rebuild to switch', async () => {
    status = (await admin('/projections')).json.rebuild;
    if (status.state === 'failed') throw new Error(status.error ?? 'failed');
    return status.state === 'switched';
  }, 120_000, 100);
  return status;
}

/** The view of a SKU as the fold of the first `version` events of its log. */
async function prefixViews(sku: string): Promise<Map<number, SkuCounters>> {
  const views = new Map<number, SkuCounters>();
  let state = initialSkuState();
  for (const event of await objectLog(worker.env.SKU, sku)) {
    state = evolve(state, event);
    views.set(event.version, skuCounters(state));
  }
  return views;
}

describe('blue-green rebuild of the read model', () => {
  it('under live reservations and expiries: readers only ever see folds of log prefixes, never going back, and the new generation equals the objects', async () => {
    for (const sku of SKUS) expect((await edge(`/v1/admin/skus/${sku}/stock`, 'PUT', { onHand: 100_000 }, {}, ADMIN_KEY)).status).toBe(200);
    await traffic(600);
    await waitFor('every SKU projected', async () => (await Promise.all(SKUS.map((s) => edge(`/v1/skus/${s}`)))).every((r) => r.json.source === 'projection'));

    const seen = new Map<string, SkuCounters[]>(SKUS.map((s) => [s, []]));
    let reading = true;
    const reader = (async () => {
      while (reading) {
        for (const sku of SKUS) {
          const { json } = await edge(`/v1/skus/${sku}`);
          const { source, ...view } = json;
          expect(source).toBe('projection');
          seen.get(sku)!.push(view);
        }
      }
    })();
    const live = traffic(600);
    const status = await rebuild('beginning');
    await live;
    await waitFor('the outboxes to drain', relayed);
    await new Promise((r) => setTimeout(r, 2_500)); // expiries due, then one KV write interval
    reading = false;
    await reader;

    expect(status).toMatchObject({ state: 'switched', phase: 'done', from: 'beginning', previous: 'g1', generation: 'g2' });
    expect((await admin('/projections')).json.generations).toMatchObject({ active: 'g2', shadow: null });
    for (const sku of SKUS) {
      const prefixes = await prefixViews(sku);
      const views = seen.get(sku)!;
      expect(views.length).toBeGreaterThan(5);
      for (let i = 0; i < views.length; i++) {
        expect(views[i], `${sku} read ${i}`).toEqual(prefixes.get(views[i]!.version));
        if (i > 0) expect(views[i]!.version, `${sku} read ${i}`).toBeGreaterThanOrEqual(views[i - 1]!.version);
      }
      const now = await edge(`/v1/skus/${sku}`);
      const primary = await edge(`/v1/skus/${sku}?consistent=true`);
      expect(now.json).toEqual({ ...primary.json, source: 'projection' });
    }
  });

  it('from the snapshots a rebuild reads far fewer events than from offset 0', async () => {
    await traffic(300);
    await waitFor('the outboxes to drain', relayed);
    const fromZero = await rebuild('beginning');
    const fromSnapshots = await rebuild('snapshots');
    console.info(
      `rebuild from offset 0: ${fromZero.read} events read in ${fromZero.finishedAt! - fromZero.startedAt} ms; ` +
        `from snapshots: ${fromSnapshots.snapshotSkus} SKU snapshots + ${fromSnapshots.read} events in ${fromSnapshots.finishedAt! - fromSnapshots.startedAt} ms`,
    );
    expect(fromSnapshots.snapshotSkus).toBe(SKUS.length);
    expect(fromSnapshots.read * 5).toBeLessThan(fromZero.read);
    for (const sku of SKUS) {
      const view = await edge(`/v1/skus/${sku}`);
      const primary = await edge(`/v1/skus/${sku}?consistent=true`);
      expect(view.json).toEqual({ ...primary.json, source: 'projection' });
    }
  });

  it('the CLI runs a rebuild to the switch and shows the generations', async () => {
    for (const sku of SKUS) expect((await edge(`/v1/admin/skus/${sku}/stock`, 'PUT', { onHand: 100_000 }, {}, ADMIN_KEY)).status).toBe(200);
    await traffic(60);
    await waitFor('the outboxes to drain', relayed);
    const env = { EDGE_URL: worker.url, BRIDGE_ADMIN_URL: bridge.adminUrl, EDGE_ADMIN_KEY: ADMIN_KEY, BRIDGE_ADMIN_KEY };
    const before = JSON.parse((await runCli(['--json', 'projections', 'status'], env)).stdout);
    const rebuilt = await runCli(['--json', 'projections', 'rebuild', '--from', 'beginning', '--grace-seconds', '5'], env);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const status = JSON.parse(rebuilt.stdout) as RebuildStatus;
    expect(status).toMatchObject({ state: 'switched', from: 'beginning', previous: before.generations.active });
    expect(status.read).toBeGreaterThan(0);
    // Without a terminal, progress goes to stderr as lines.
    expect(rebuilt.stderr).toMatch(/events/);
    const after = await runCli(['projections', 'status'], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(status.generation);
    expect(after.stdout).toMatch(/snapshots: \d+ SKU\(s\), \d+ event\(s\) behind the log/);
  });
});
