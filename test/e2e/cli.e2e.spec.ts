import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWmsClient, type WmsClient } from '../../bridge/wms/client';
import type { AllocationSaga } from '../../src/domain/allocation';
import { runCli, type CliResult } from './support/cli';
import { BRIDGE_ADMIN_KEY, freePort, startBridgeProcess, startWmsProcess, WMS_ADMIN_KEY, type BridgeProcess, type ServiceProcess } from './support/processes';
import { objectLog, reservationsOf, waitFor } from './support/system';
import { ADMIN_KEY, startWorker, STOREFRONT_KEY } from './support/worker';

/**
 * The admin CLI as operators run it (`node bin/inventory.mjs`), against the whole system: the
 * Worker in workerd, the bridge process on its embedded log with the saga, the WMS simulator.
 */
const secret = randomBytes(32).toString('hex');
let dataDir: string;
let worker: Awaited<ReturnType<typeof startWorker>>;
let bridge: BridgeProcess;
let wmsProcess: ServiceProcess;
let wms: WmsClient;
let cliEnv: Record<string, string>;

const SKUS = ['CLI-A', 'CLI-B'];
/** Reservation ids by customer. */
const ids: Record<string, string> = {};

const cli = (...args: string[]) => runCli(args, cliEnv);
/** The one JSON document a `--json` run prints, once its exit code is the one expected. */
const json = <T>(result: CliResult, code = 0): T => {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(code);
  return JSON.parse(result.stdout) as T;
};

async function admin(path: string, method: string, body?: unknown) {
  const response = await fetch(`${worker.url}/v1/admin/skus/${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status).toBe(200);
  return response.json();
}

async function reserve(sku: string, customerId: string, qty: number): Promise<void> {
  const response = await fetch(`${worker.url}/v1/skus/${sku}/reservations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${STOREFRONT_KEY}`, 'content-type': 'application/json', 'idempotency-key': `cli-${customerId}` },
    body: JSON.stringify({ customerId, qty }),
  });
  expect(response.status).toBe(201);
  ids[customerId] = ((await response.json()) as { reservationId: string }).reservationId;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cli-e2e-'));
  const [bridgePort, wmsPort] = [await freePort(), await freePort()];
  wmsProcess = await startWmsProcess({ WMS_ADMIN_KEYS: WMS_ADMIN_KEY, WMS_PORT: String(wmsPort), WMS_DATA_DIR: join(dataDir, 'wms') });
  const wmsUrl = `${wmsProcess.url}/wms`;
  worker = await startWorker({ BRIDGE_URL: `http://127.0.0.1:${bridgePort}`, INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
  bridge = await startBridgeProcess({
    BRIDGE_PORT: String(bridgePort),
    INTERNAL_SECRET: secret,
    EDGE_URL: worker.url,
    BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEY,
    WMS_URL: wmsUrl,
    BRIDGE_DATA_DIR: join(dataDir, 'bridge'),
    // Empty, not unset: a KAFKA_BROKERS of the shell running the tests must not switch the log to Kafka.
    KAFKA_BROKERS: '',
    ALLOCATION_DEADLINE_SECONDS: '5',
    WMS_CALL_TIMEOUT_MS: '500',
  });
  wms = await createWmsClient(wmsUrl);
  cliEnv = { EDGE_URL: worker.url, BRIDGE_ADMIN_URL: bridge.adminUrl, WMS_URL: wmsUrl, EDGE_ADMIN_KEY: ADMIN_KEY, BRIDGE_ADMIN_KEY, WMS_ADMIN_KEY };

  await admin('CLI-A/stock', 'PUT', { onHand: 10 });
  await admin('CLI-B/stock', 'PUT', { onHand: 5 });
  await reserve('CLI-A', 'alice', 2);
  await reserve('CLI-A', 'bob', 1);
  await reserve('CLI-B', 'carol', 1);
  // Allocated on both sides, the sagas at rest and every event relayed: nothing moves while the CLI looks.
  await waitFor('the saga to allocate every reservation', async () => {
    const reservations = (await Promise.all(SKUS.map((sku) => reservationsOf(worker.env.SKU, sku)))).flat();
    const relays = await Promise.all(SKUS.map((sku) => worker.env.SKU.getByName(sku).relayStatus(sku)));
    const sagas = await fetch(`${bridge.adminUrl}/admin/sagas`, { headers: { authorization: `Bearer ${BRIDGE_ADMIN_KEY}` } });
    const phases = ((await sagas.json()) as { sagas: AllocationSaga[] }).sagas.map((saga) => saga.phase);
    return (
      reservations.every((r) => r.allocation === 'allocated') &&
      relays.every((r) => r.ok && r.value.pending === 0) &&
      phases.length === 3 &&
      phases.every((phase) => phase === 'allocated')
    );
  });
});

afterAll(async () => {
  await bridge?.kill('SIGTERM');
  await wmsProcess?.kill('SIGTERM');
  await worker?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the inventory CLI against a running system', () => {
  it('status: every component healthy, the embedded log, the WMS reachable from the bridge, relay lag per SKU', async () => {
    const human = await cli('status', '--sku', 'CLI-A', 'CLI-B');
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^event log\s+ok\s+embedded log: file log/m);
    expect(human.stdout).toMatch(/^wms from bridge\s+ok\s+WSDL served/m);
    expect(human.stdout).toMatch(/^sagas\s+ok\s+allocating 0, overdue 0, confirming 0, releasing 0, cancelling 0, allocated 3, done 0, stuck 0$/m);
    expect(human.stdout).toMatch(/^relay CLI-A\s+ok\s+pending 0, relayed 5\/5, attempts 0$/m);

    const report = json<{ healthy: boolean; checks: { component: string; ok: boolean }[]; bridge: { log: { adapter: string } }; relay: unknown[] }>(
      await cli('--json', 'status', '--sku', 'CLI-B'),
    );
    expect(report.healthy).toBe(true);
    expect(report.checks.map((c) => [c.component, c.ok])).toEqual([
      ['edge', true],
      ['bridge', true],
      ['event log', true],
      ['wms from bridge', true],
      ['sagas', true],
      ['bridge group', true],
      ['wms', true],
      ['relay CLI-B', true],
    ]);
    expect(report.bridge.log.adapter).toBe('embedded');
    expect(report.relay).toHaveLength(1);
  });

  it('status and group: which replica owns which partitions and its sagas, the one asked marked (the embedded log: one replica, partition 0)', async () => {
    const sagas = { allocating: 0, overdue: 0, confirming: 0, releasing: 0, cancelling: 0, allocated: 3, done: 0, stuck: 0 };
    const group = { self: bridge.adminUrl, partitions: [0], members: [{ endpoint: bridge.adminUrl, partitions: [0], self: true, sagas }] };
    const human = await cli('status');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^bridge group\\s+ok\\s+1 replica, 1 partition owned; asked ${bridge.adminUrl.replace(/\./g, '\\.')} \\(partitions 0\\)$`, 'm'));
    const pad = ' '.repeat(bridge.adminUrl.length - 'REPLICA'.length);
    expect(human.stdout.slice(human.stdout.indexOf('\n\nbridge group\n'))).toBe(
      `\n\nbridge group\nREPLICA${pad}  PARTITIONS  COUNT  SAGAS  ASKED\n${bridge.adminUrl}  0               1  3      yes\n1 replica owns 1 partition\n`,
    );
    expect(json<{ group: unknown }>(await cli('--json', 'status')).group).toEqual(group);

    expect(await cli('group')).toEqual({
      code: 0,
      stdout: `REPLICA${pad}  PARTITIONS  COUNT  SAGAS  ASKED\n${bridge.adminUrl}  0               1  3      yes\n1 replica owns 1 partition\n`,
      stderr: '',
    });
    expect(json(await cli('group', '--json'))).toEqual(group);
    const unreachable = await cli('--bridge-admin-url', `http://127.0.0.1:${await freePort()}`, 'group');
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/^error: bridge unreachable: .*\(GET http:\/\/127\.0\.0\.1:\d+\/admin\/group\)\n/);
  });

  it('status exits 1 while the WMS is down, and 0 once it is back', async () => {
    expect((await cli('wms', 'outage', '60')).code).toBe(0);
    const down = await cli('status');
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^wms from bridge\s+UNHEALTHY\s+HTTP 503$/m);
    expect((await cli('wms', 'outage', '0')).stdout).toBe('no outage\n');
    expect((await cli('status')).code).toBe(0);
  });

  it('sku events: --json is the SKU object\'s log; the table shows each event\'s data; --after and --limit page it', async () => {
    const log = await objectLog(worker.env.SKU, 'CLI-A');
    expect(log.map((e) => e.type).sort()).toEqual(['AllocationConfirmed', 'AllocationConfirmed', 'StockReserved', 'StockReserved', 'StockSet']);
    expect(json(await cli('--json', 'sku', 'events', 'CLI-A'))).toEqual(log);
    expect(json(await cli('sku', 'events', 'CLI-A', '--after', '1', '--limit', '2', '--json'))).toEqual(log.slice(1, 3));

    const human = await cli('sku', 'events', 'CLI-A');
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+TYPE\s+AT\s+DATA$/);
    expect(lines).toHaveLength(log.length + 1);
    // A cause is an object: shown as JSON (the admin key's id, never the key).
    expect(lines[1]).toMatch(/^\s*1\s+StockSet\s+\S+\s+onHand=10 limitPerCustomer=null cause=\{"kind":"admin","keyId":"[0-9a-f]{16}"\}$/);
    expect(human.stdout).toContain(`reservationId=${ids.alice} customerId=alice qty=2`);
  });

  it('sku shards: each shard with the region it lives in, and the total with the layout\'s regions', async () => {
    await admin('CLI-SHARDED/stock', 'PUT', { onHand: 9, shards: 3, shardRegions: ['apac', 'weur'] });
    const human = await cli('sku', 'shards', 'CLI-SHARDED');
    expect(human.code).toBe(0);
    const rows = human.stdout.trimEnd().split('\n').map((line) => line.trim().split(/\s+/));
    expect(rows.map((r) => r.slice(0, 5))).toEqual([
      ['SHARD', 'REGION', 'ON', 'HAND', 'RESERVED'],
      ['0', 'apac', '3', '0', '0'],
      ['1', 'weur', '3', '0', '0'],
      ['2', 'apac', '3', '0', '0'],
      ['total', 'apac,weur', '9', '0', '0'],
    ]);
    expect(json<{ shards: { region: string }[] }>(await cli('--json', 'sku', 'shards', 'CLI-SHARDED')).shards.map((s) => s.region)).toEqual(['apac', 'weur', 'apac']);
  });

  it('sagas list, show and retry', async () => {
    const all = json<{ total: number; sagas: AllocationSaga[] }>(await cli('--json', 'sagas', 'list'));
    expect(all.total).toBe(3);
    expect(new Set(all.sagas.map((s) => s.reservationId))).toEqual(new Set(Object.values(ids)));
    expect(all.sagas.every((s) => s.phase === 'allocated' && s.allocationId !== null)).toBe(true);

    const onB = json<{ total: number; sagas: AllocationSaga[] }>(await cli('--json', 'sagas', 'list', '--sku', 'CLI-B', '--phase', 'allocated'));
    expect(onB.sagas.map((s) => s.reservationId)).toEqual([ids.carol]);
    expect(json<{ total: number }>(await cli('--json', 'sagas', 'list', '--phase', 'stuck')).total).toBe(0);

    const shown = json<AllocationSaga>(await cli('--json', 'sagas', 'show', ids.alice!));
    expect(shown).toMatchObject({ reservationId: ids.alice, sku: 'CLI-A', qty: 2, phase: 'allocated' });
    const human = await cli('sagas', 'show', ids.alice!);
    expect(human.stdout).toMatch(new RegExp(`^reservation\\s+${ids.alice}$`, 'm'));
    expect(human.stdout).toMatch(new RegExp(`^allocation\\s+${shown.allocationId}$`, 'm'));

    expect(json<AllocationSaga>(await cli('--json', 'sagas', 'retry', ids.bob!)).reservationId).toBe(ids.bob);

    const missing = await cli('sagas', 'show', 'res_nosuchreservation');
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('HTTP 404: saga_not_found');
  });

  it('dlq list is empty; requeue of nothing requeues nothing', async () => {
    expect(json(await cli('--json', 'dlq', 'list'))).toEqual({ total: 0, partition: 0, from: '0', records: [], next: null });
    expect((await cli('dlq', 'list')).stdout).toBe('no dead letters\n');
    expect(json(await cli('--json', 'dlq', 'requeue'))).toEqual({ requeued: 0 });
  });

  it('reconcile: no differences, then two made on purpose are found, repaired, and gone', async () => {
    const clean = await cli('reconcile');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe(
      'SKUs checked: 2; reservations compared: 3\nunits allocated: edge 4, wms 4\ndifferences: 0 (wms_only 0, edge_only 0, mismatch 0)\n' +
        'in flight: 0 (a saga is still at work: not repaired, not counted)\n\n' +
        // Stock levels: these SKUs name no location, so there is nothing to compare location by location.
        'stock levels at soap-1: locations compared 0 over 0 SKUs; SKUs naming no location (not compared): 2\n' +
        'units on hand: edge 0, warehouse 0 (physical + shipped)\n' +
        'level differences: 0; in flight: 0 (the feed and the warehouse at different documents: not repaired, not counted)\n',
    );

    // The WMS drops alice's allocation behind the saga's back, and allocates for a reservation the edge never made.
    const ghost = 'res_ghostghostghostghostghost';
    await wms.cancel(ids.alice!, 5_000);
    const { allocationId } = (await wms.allocate(ghost, 'CLI-B', 3, 5_000)) as { allocationId: string };

    const found = await cli('reconcile');
    expect(found.code).toBe(1);
    expect(found.stdout).toContain('units allocated: edge 4, wms 5\ndifferences: 2 (wms_only 1, edge_only 1, mismatch 0)');
    // The saga rests (allocated) and agrees with the edge; the ghost has no saga: both settled.
    // WMS REF is `-` where it is the reservation id (never re-sourced).
    expect(found.stdout).toMatch(new RegExp(`^edge_only\\s+CLI-A\\s+${ids.alice}\\s+-\\s+held/allocated x2 \\S+\\s+cancelled x2 \\S+\\s+allocated$`, 'm'));
    expect(found.stdout).toMatch(new RegExp(`^wms_only\\s+CLI-B\\s+${ghost}\\s+-\\s+unknown\\s+allocated x3 ${allocationId}\\s+none$`, 'm'));

    const onlyB = json<{ skus: string[]; differences: { kind: string; reservationId: string }[] }>(await cli('--json', 'reconcile', '--sku', 'CLI-B'), 1);
    expect(onlyB.skus).toEqual(['CLI-B']);
    expect(onlyB.differences.map((d) => [d.kind, d.reservationId])).toEqual([['wms_only', ghost]]);

    expect(json<{ repaired: unknown[] }>(await cli('--json', 'reconcile', '--repair')).repaired).toEqual([
      { kind: 'edge_only', sku: 'CLI-A', reservationId: ids.alice, reference: ids.alice, steps: ['edge_release'], ok: true, error: null },
      { kind: 'wms_only', sku: 'CLI-B', reservationId: ghost, reference: ghost, steps: ['wms_cancel'], ok: true, error: null },
    ]);
    expect((await reservationsOf(worker.env.SKU, 'CLI-A')).find((r) => r.reservationId === ids.alice)).toMatchObject({ status: 'released', releaseReason: 'admin' });
    expect(await wms.get(ghost, 5_000)).toMatchObject({ status: 'cancelled' });

    expect(json(await cli('--json', 'reconcile'))).toMatchObject({ compared: 4, unitsAllocated: { edge: 2, wms: 2 }, differences: [], repaired: [] });
  });

  it('reconcile: a release whose CancelAllocation the saga has not got through yet is in_flight, not repaired, not counted', async () => {
    await reserve('CLI-B', 'dave', 1);
    const sagaOf = async (id: string) =>
      (await (await fetch(`${bridge.adminUrl}/admin/sagas/${id}`, { headers: { authorization: `Bearer ${BRIDGE_ADMIN_KEY}` } })).json()) as AllocationSaga;
    await waitFor('dave allocated', async () => (await sagaOf(ids.dave!)).phase === 'allocated');
    // The warehouse refuses every CancelAllocation for now: the saga keeps retrying it.
    const faults = (patch: object) => fetch(`${wmsProcess.url}/admin/faults`, { method: 'PUT', headers: { authorization: `Bearer ${WMS_ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(patch) });
    expect((await faults({ faultRate: 1, operations: ['CancelAllocation'] })).status).toBe(200);
    const cancelled = await fetch(`${worker.url}/v1/skus/CLI-B/reservations/${ids.dave}?customerId=dave`, { method: 'DELETE', headers: { authorization: `Bearer ${STOREFRONT_KEY}` } });
    expect(cancelled.status).toBe(200);
    await waitFor('the saga cancelling', async () => (await sagaOf(ids.dave!)).phase === 'cancelling');

    const during = await cli('reconcile', '--sku', 'CLI-B');
    expect(during.code).toBe(0);
    expect(during.stdout).toContain('differences: 0 (wms_only 0, edge_only 0, mismatch 0)\nin flight: 1 (');
    expect(during.stdout).toMatch(new RegExp(`^in_flight\\s+CLI-B\\s+${ids.dave}\\s+-\\s+released/allocated x1 \\S+\\s+allocated x1 \\S+\\s+cancelling \\(released cancelled\\)$`, 'm'));
    const repair = json<{ differences: { kind: string; shows: string }[]; repaired: unknown[] }>(await cli('--json', 'reconcile', '--sku', 'CLI-B', '--repair'));
    expect(repair.differences).toMatchObject([{ kind: 'in_flight', shows: 'wms_only', reservationId: ids.dave }]);
    expect(repair.repaired).toEqual([]);
    expect(await wms.get(ids.dave!, 5_000)).toMatchObject({ status: 'allocated' });

    expect((await faults({ faultRate: 0, operations: ['AllocateStock', 'CancelAllocation', 'GetAllocation', 'ListAllocations'] })).status).toBe(200);
    await cli('sagas', 'retry', ids.dave!);
    await waitFor('the saga done', async () => (await sagaOf(ids.dave!)).phase === 'done');
    expect(json(await cli('--json', 'reconcile', '--sku', 'CLI-B'))).toMatchObject({ differences: [], repaired: [] });
  });

  it('wms faults, faults set, stock', async () => {
    const set = await cli('wms', 'faults', 'set', '--fault-rate', '0.5', '--latency-ms', '20-80');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^fault rate\s+0\.5$/m);
    expect(json(await cli('--json', 'wms', 'faults'))).toMatchObject({ faultRate: 0.5, latencyMs: { min: 20, max: 80 }, timeoutRate: 0 });
    expect(json(await cli('--json', 'wms', 'faults', 'set', '--fault-rate', '0', '--latency-ms', '0'))).toMatchObject({ faultRate: 0, latencyMs: { min: 0, max: 0 } });

    expect(json(await cli('--json', 'wms', 'stock', 'CLI-Z', '7'))).toEqual({ sku: 'CLI-Z', qty: 7 });
    expect(json<{ skus: Record<string, number> }>(await cli('--json', 'wms', 'stock')).skus['CLI-Z']).toBe(7);
  });

  it('errors: a wrong admin key exits 3 naming the 401, an unreachable component 3, bad usage 2, --help 0', async () => {
    const refused = await cli('--bridge-admin-key', 'wrong', 'sagas', 'list');
    expect(refused).toMatchObject({ code: 3, stdout: '' });
    // One message per failure, then what to try.
    expect(refused.stderr).toBe(
      'error: bridge answered HTTP 401: unauthorized (missing or unknown admin bearer key) to GET /admin/sagas?limit=100\n' +
        "hint: check that component's admin key (--edge-admin-key, --bridge-admin-key, --wms-admin-key, or EDGE_ADMIN_KEY, BRIDGE_ADMIN_KEY, WMS_ADMIN_KEY)\n",
    );
    const edgeRefused = await cli('sku', 'events', 'CLI-A', '--edge-admin-key', 'wrong');
    expect(edgeRefused.code).toBe(3);
    expect(edgeRefused.stderr).toContain('edge answered HTTP 401: unauthorized');

    const port = await freePort();
    const unreachable = await cli('--bridge-admin-url', `http://127.0.0.1:${port}`, 'dlq', 'list');
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(
      new RegExp(`^error: bridge unreachable: .* \\(GET http://127\\.0\\.0\\.1:${port}/admin/dlq\\?partition=0&from=0&limit=100\\)\nhint: is the system running\\? \`npm start\` runs the Worker, the bridge and the WMS simulator locally\n$`),
    );
    // status shows failures in its table, once, and the hint once for all of them.
    const down = await runCli(['status'], { EDGE_URL: `http://127.0.0.1:${port}`, BRIDGE_ADMIN_URL: `http://127.0.0.1:${port}`, WMS_URL: `http://127.0.0.1:${port}/wms` });
    expect(down.code).toBe(3);
    // edge, bridge, bridge admin, bridge group, wms.
    expect(down.stdout.match(/FAILED/g)).toHaveLength(5);
    expect(down.stderr).toBe('hint: is the system running? `npm start` runs the Worker, the bridge and the WMS simulator locally\n');

    // The dev key is a default for local URLs only; given explicitly it goes anywhere.
    const remote = await runCli(['--edge-url', 'https://inventory.example.com', 'sku', 'events', 'CLI-A'], {});
    expect(remote).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: no admin key given for https://inventory.example.com (--edge-admin-key or EDGE_ADMIN_KEY): the default dev keys are only for a local system\n',
    });
    const explicit = await runCli(['--edge-admin-key', 'dev-admin', '--edge-url', 'https://inventory.invalid', '--timeout-ms', '2000', 'sku', 'events', 'CLI-A'], {});
    expect(explicit.code).toBe(3);
    expect(explicit.stderr).toContain('hint: check the address');

    expect(await runCli(['--version'], {})).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });

    expect((await cli('sku', 'events', 'not a sku')).code).toBe(2);
    expect((await cli('wms', 'faults', 'set')).code).toBe(2);
    expect((await cli('wms', 'faults', 'set', '--fault-rate', '2')).code).toBe(2);
    expect((await cli('no-such-command')).code).toBe(2);

    const help = await cli('reconcile', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: inventory reconcile \[options\]/);
    expect(help.stdout).toContain('Examples:');
  });
});

/** An HTTP server that answers `{}` to anything and remembers each request's path and Authorization header. */
async function recorder(): Promise<{ url: string; seen: { path: string; authorization: string | undefined }[]; server: Server }> {
  const seen: { path: string; authorization: string | undefined }[] = [];
  const server = createServer((request, response) => {
    seen.push({ path: request.url ?? '', authorization: request.headers.authorization });
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, seen, server };
}

describe('the CLI sends each component its own key only (ADR 0003)', () => {
  it('status and wms faults: the edge, the bridge and the WMS each get their own key on /admin calls, /healthz gets none', async () => {
    const [edge, bridgeAdmin, wmsAdmin] = [await recorder(), await recorder(), await recorder()];
    try {
      const env = {
        EDGE_URL: edge.url,
        BRIDGE_ADMIN_URL: bridgeAdmin.url,
        WMS_URL: `${wmsAdmin.url}/wms`,
        EDGE_ADMIN_KEY: 'the-edge-key',
        BRIDGE_ADMIN_KEY: 'the-bridge-key',
        WMS_ADMIN_KEY: 'the-wms-key',
      };
      // Each answer is `{}`, so the checks fail; what was sent is the point.
      await runCli(['status', '--sku', 'KEYS-1'], env);
      await runCli(['wms', 'faults'], env);
      expect(edge.seen).toEqual(expect.arrayContaining([{ path: '/healthz', authorization: undefined }, { path: '/v1/admin/skus/KEYS-1/relay?shard=0', authorization: 'Bearer the-edge-key' }]));
      expect(bridgeAdmin.seen).toEqual(expect.arrayContaining([{ path: '/healthz', authorization: undefined }, { path: '/admin/status', authorization: 'Bearer the-bridge-key' }]));
      expect(wmsAdmin.seen).toEqual(expect.arrayContaining([{ path: '/healthz', authorization: undefined }, { path: '/admin/faults', authorization: 'Bearer the-wms-key' }]));
      const keyOf = (seen: { authorization: string | undefined }[]) => new Set(seen.map((r) => r.authorization).filter(Boolean));
      expect([keyOf(edge.seen), keyOf(bridgeAdmin.seen), keyOf(wmsAdmin.seen)]).toEqual([new Set(['Bearer the-edge-key']), new Set(['Bearer the-bridge-key']), new Set(['Bearer the-wms-key'])]);
    } finally {
      for (const { server } of [edge, bridgeAdmin, wmsAdmin]) server.close();
    }
  });
});
