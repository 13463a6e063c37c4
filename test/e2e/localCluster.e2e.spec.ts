import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeGroup } from '../../bridge/cli/api/bridge';
import { groupTable, partitionRanges } from '../../bridge/cli/commands/group';
import type { AllocationSaga } from '../../src/domain/allocation';
// @ts-expect-error -- a plain ESM script shared with `npm start`
import { BRIDGE_ADMIN_KEY, SAP_ADMIN_KEY } from '../../scripts/dev-defaults.mjs';
// @ts-expect-error -- a plain ESM script shared with `npm start`
import { ensureDevVars } from '../../scripts/dev-vars.mjs';
import { launchChromium } from './support/browser';
import { runCli } from './support/cli';
import { freePort } from './support/processes';
import { waitFor } from './support/system';

/**
 * `BRIDGE_REPLICAS=2 npm run start:kafka` as a developer runs it (scripts/start.mjs --kafka), on
 * free ports and its own state directory so it can run beside a developer's `npm start`: the two
 * replicas form one group owning the 12 partitions, the Worker pushes to them, a reservation is
 * allocated by the saga, the CLI and the dashboard show who owns what, and SIGTERM stops every
 * process it started (the broker included).
 */
let stack: ChildProcess;
let output = '';
let dataDir: string;
let ports: { worker: number; wms: number; sap: number; public: number[]; admin: number[] };
/** The keys `npm start` gives the Worker: .dev.vars, as start.mjs completes it. */
let keys: { storefront: string; admin: string };
const adminUrls = () => ports.admin.map((p) => `http://127.0.0.1:${p}`);
const workerUrl = () => `http://127.0.0.1:${ports.worker}`;
const bridgeAuth = { authorization: `Bearer ${BRIDGE_ADMIN_KEY as string}` };

async function groupOf(adminUrl: string): Promise<BridgeGroup | null> {
  const res = await fetch(`${adminUrl}/admin/group`, { headers: bridgeAuth, signal: AbortSignal.timeout(2_000) }).catch(() => null);
  return res?.ok ? ((await res.json()) as BridgeGroup) : null;
}

/** Both replicas see the same group of two, owning all 12 partitions between them. */
async function stableGroup(): Promise<boolean> {
  const groups = await Promise.all(adminUrls().map(groupOf));
  const members = (g: BridgeGroup | null) => JSON.stringify(g?.members.map((m) => [m.endpoint, m.partitions]));
  return groups.every((g) => g?.members.length === 2 && g.members.flatMap((m) => m.partitions).length === 12) && members(groups[0]!) === members(groups[1]!);
}

/** Every process below `pid`, from the process table (the broker is started detached, yet is one of them). */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const below = (parent: number): number[] => table.filter(([, ppid]) => ppid === parent).flatMap(([child]) => [child, ...below(child)]);
  return below(pid);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'local-cluster-e2e-'));
  const free = await Promise.all(Array.from({ length: 7 }, () => freePort()));
  ports = { worker: free[0]!, wms: free[1]!, sap: free[6]!, public: free.slice(2, 4), admin: free.slice(4, 6) };
  const vars = ensureDevVars() as Record<string, string>;
  keys = { storefront: vars.STOREFRONT_KEYS!.split(',')[0]!.trim(), admin: vars.ADMIN_KEYS!.split(',')[0]!.trim() };
  // The test's shell must not point the stack elsewhere (a KAFKA_BROKERS of its own, say).
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(KAFKA_|BRIDGE_|WMS_|SAP_|EDGE_|WORKER_PORT|DEV_DATA_DIR)/.test(name)));
  stack = spawn(process.execPath, ['scripts/start.mjs', '--kafka'], {
    env: {
      ...inherited,
      BRIDGE_REPLICAS: '2',
      WORKER_PORT: String(ports.worker),
      WMS_PORT: String(ports.wms),
      SAP_PORT: String(ports.sap),
      BRIDGE_PORTS: ports.public.join(','),
      BRIDGE_ADMIN_PORTS: ports.admin.join(','),
      DEV_DATA_DIR: dataDir,
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_SEND_METRICS: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout!.on('data', (d) => (output += d));
  stack.stderr!.on('data', (d) => (output += d));
  try {
    await waitFor('a stable group of two replicas owning the 12 partitions', async () => {
      if (stack.exitCode !== null) throw new Error(`start.mjs exited with ${stack.exitCode}`);
      // The Worker too: under load wrangler can come up well after the bridges.
      const worker = await fetch(`${workerUrl()}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
      return worker?.ok === true && (await stableGroup());
    }, 200_000, 1_000);
  } catch (error) {
    console.error(output.slice(-5000));
    throw error;
  }
});

afterAll(async () => {
  // Only if the last test did not stop it: nothing may outlive the run.
  if (stack && stack.exitCode === null && stack.signalCode === null) {
    const pids = descendants(stack.pid!);
    stack.kill('SIGKILL');
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('BRIDGE_REPLICAS=2 npm run start:kafka', () => {
  it('prints where each replica listens and runs each as its own process, bridge-1 and bridge-2', () => {
    const [p1, p2] = ports.public;
    const [a1, a2] = ports.admin;
    expect(output).toContain(`2 bridge replicas; the Worker's BRIDGE_URL=http://127.0.0.1:${p1},http://127.0.0.1:${p2}\n`);
    expect(output).toContain(`bridge-1: ingest http://127.0.0.1:${p1}, admin http://127.0.0.1:${a1}, dashboard http://127.0.0.1:${a1}/dashboard\n`);
    expect(output).toContain(`bridge-2: ingest http://127.0.0.1:${p2}, admin http://127.0.0.1:${a2}, dashboard http://127.0.0.1:${a2}/dashboard\n`);
    // concurrently's prefixes: each replica's own log lines (JSON, the output being a pipe), under its name.
    expect(output).toMatch(/^bridge-1 +\{.*"service":"bridge".*"msg":"WMS saga group joined"\}$/m);
    expect(output).toMatch(/^bridge-2 +\{.*"service":"bridge".*"msg":"WMS saga group joined"\}$/m);
    expect(output).not.toMatch(/^bridge +\{/m);
  });

  it('reservations through the Worker are pushed to the group and allocated by the saga; either replica answers for all the sagas', async () => {
    const skus = Array.from({ length: 4 }, (_, i) => `CLUSTER-${randomBytes(3).toString('hex')}-${i}`);
    const edge = (path: string, method: string, key: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${workerUrl()}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const reserved: string[] = [];
    for (const [i, sku] of skus.entries()) {
      const stock = await edge(`/v1/admin/skus/${sku}/stock`, 'PUT', keys.admin, { onHand: 10 });
      expect(stock.status).toBe(200);
      const res = await edge(`/v1/skus/${sku}/reservations`, 'POST', keys.storefront, { customerId: `buyer-${i}`, qty: 2 }, { 'idempotency-key': `${sku}-r` });
      expect(res.status).toBe(201);
      reserved.push(((await res.json()) as { reservationId: string }).reservationId);
    }
    // Asked of either replica, the answer covers the whole group.
    let sagas: AllocationSaga[] = [];
    await waitFor('every reservation allocated by the saga', async () => {
      const res = await fetch(`${adminUrls()[1]}/admin/sagas?limit=1000`, { headers: bridgeAuth }).catch(() => null);
      if (!res?.ok) return false;
      sagas = ((await res.json()) as { sagas: AllocationSaga[] }).sagas.filter((s) => reserved.includes(s.reservationId));
      return sagas.length === reserved.length && sagas.every((s) => s.phase === 'allocated');
    }, 90_000, 500);
    expect(sagas.map((s) => [s.reservationId, s.sku, s.qty]).sort()).toEqual(reserved.map((id, i) => [id, skus[i], 2]).sort());
  });

  it('the CLI and the dashboard show which replica owns which partitions', async () => {
    // A member that missed heartbeats on a loaded machine rebalances the group: compare a settled one.
    await waitFor('a stable group of two replicas owning the 12 partitions', stableGroup, 60_000, 500);
    const group = (await groupOf(adminUrls()[1]!))!;
    const env = { EDGE_URL: workerUrl(), BRIDGE_ADMIN_URL: adminUrls()[1]!, WMS_URL: `http://127.0.0.1:${ports.wms}/wms` };
    const asJson = await runCli(['--json', 'group'], env);
    expect(asJson.code).toBe(0);
    expect(JSON.parse(asJson.stdout)).toEqual(group);
    expect(group.self).toBe(adminUrls()[1]);
    expect(group.members.map((m) => m.endpoint)).toEqual([...adminUrls()].sort());
    // Each replica's sagas, asked of it: together, the four allocated above (the broker is this run's own).
    const total = (m: BridgeGroup['members'][number]) => Object.values(m.sagas ?? {}).reduce((n, count) => n + count, 0);
    expect(group.members.every((m) => m.sagas !== null)).toBe(true);
    expect(group.members.reduce((n, m) => n + (m.sagas?.allocated ?? 0), 0)).toBe(4);
    expect(group.members.reduce((n, m) => n + total(m), 0)).toBe(4);

    // The rendering itself is pinned by test/unit/bridge/groupTable.spec.ts.
    expect(await runCli(['group'], env)).toEqual({ code: 0, stdout: `${groupTable(group)}\n`, stderr: '' });
    expect(groupTable(group)).toMatch(/\n2 replicas own 12 partitions$/);
    const status = await runCli(['status'], env);
    expect(status.stdout).toMatch(new RegExp(`^bridge group\\s+ok\\s+2 replicas, 12 partitions owned; asked ${adminUrls()[1]!.replace(/\./g, '\\.')} \\(partitions [0-9,-]+\\)$`, 'm'));

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${adminUrls()[1]}/dashboard`);
      await page.fill('#admin-key', BRIDGE_ADMIN_KEY as string);
      await page.click('button[type=submit]');
      await expect.poll(() => page.locator('#replicas tbody tr').count(), { timeout: 15_000 }).toBe(2);
      const rows = await page.locator('#replicas tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      expect(rows).toEqual(group.members.map((m) => [m.endpoint, partitionRanges(m.partitions), String(m.partitions.length), String(total(m)), m.self ? 'this one' : '']));
      expect(await page.textContent('#replicas-note')).toBe('2 replica(s), 12 partitions owned');
      // The saga phases of the replica serving the page: what it allocated of the reservations above.
      await expect.poll(() => page.locator('#sagas tr').count(), { timeout: 15_000 }).toBeGreaterThan(1);
    } finally {
      await browser.close();
    }
  });

  it('has two warehouses, soap-1 and sap-1; npm run seed stocks a SKU at both, and the saga allocates it at each', async () => {
    const warehouses = await fetch(`${adminUrls()[0]}/admin/warehouses`, { headers: bridgeAuth }).then((r) => r.json() as Promise<{ warehouses: { id: string; kind: string; health: { ok: boolean } }[] }>);
    expect(warehouses.warehouses.map((w) => [w.id, w.kind, w.health.ok])).toEqual([['soap-1', 'soap', true], ['sap-1', 'odata', true]]);
    const seeded = await new Promise<{ code: number; out: string }>((resolve) => {
      const env = { ...process.env, BASE_URL: workerUrl(), ADMIN_KEY: keys.admin, STOREFRONT_KEY: keys.storefront, WMS_URL: `http://127.0.0.1:${ports.wms}/wms`, SAP_URL: `http://127.0.0.1:${ports.sap}` };
      execFile(process.execPath, ['scripts/seed.mjs'], { env, timeout: 120_000 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr }));
    });
    expect(seeded.out).toMatch(/RUNNER-44 +AMS-1: onHand=12 reserved=5 fed by soap-1/);
    expect(seeded.out).toMatch(/RUNNER-44 +FRA-1: onHand=20 reserved=10 fed by sap-1/);
    expect(seeded.code).toBe(0);
    await waitFor('the seeded reservations allocated at AMS-1 (soap-1) and FRA-1 (sap-1)', async () => {
      const res = await fetch(`${adminUrls()[0]}/admin/sagas?limit=1000`, { headers: bridgeAuth }).catch(() => null);
      const sagas = res?.ok ? ((await res.json()) as { sagas: AllocationSaga[] }).sagas.filter((s) => s.sku === 'RUNNER-44') : [];
      return sagas.length === 3 && sagas.every((s) => s.phase === 'allocated') && new Set(sagas.map((s) => s.location)).size === 2;
    }, 90_000, 500);
    // The SAP simulator holds the FRA-1 reservations as reservation documents.
    const sap = await fetch(`http://127.0.0.1:${ports.sap}/admin/reservations`, { headers: { authorization: `Bearer ${SAP_ADMIN_KEY as string}` } }).then((r) => r.json());
    expect(JSON.stringify(sap)).toContain('RUNNER-44');
  });

  it('SIGTERM stops every process it started, the Kafka broker included', async () => {
    const pids = descendants(stack.pid!);
    // The Worker (wrangler, workerd), the WMS simulator, two bridges and the broker at least.
    expect(pids.length).toBeGreaterThanOrEqual(6);
    const exited = new Promise<number | null>((resolve) => stack.once('exit', (code) => resolve(code)));
    stack.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor('every process of the stack gone', async () => pids.every((pid) => !alive(pid)), 30_000, 250);
  });
});
