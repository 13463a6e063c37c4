import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeClient } from '../../bridge/edge/client';
import type { SkuEvent } from '../../src/domain/sku';
import { runCli } from './support/cli';
import { BRIDGE_ADMIN_KEY, freePort, startBridgeProcess, startWmsProcess, WMS_ADMIN_KEY, type BridgeProcess, type ServiceProcess } from './support/processes';
import { objectLog, waitFor } from './support/system';
import { startWorker, STOREFRONT_KEY } from './support/worker';

/**
 * The warehouse feed for real (issue 22, ADR 0014): the SOAP simulator's documents reach the SKU
 * objects in workerd through the bridge process's follower and the signed movements route; a
 * bridge killed mid-feed resumes from its committed cursor; a document delivered twice is
 * counted once (applied:false); `inventory warehouses` shows the cursor.
 */
let dir = '';
let secret = '';
let worker: Awaited<ReturnType<typeof startWorker>>;
let wms: ServiceProcess;
let bridge: BridgeProcess;
let bridgeEnv: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'feed-e2e-'));
  secret = randomBytes(32).toString('hex');
  const [bridgePort, wmsPort] = [await freePort(), await freePort()];
  wms = await startWmsProcess({ WMS_ADMIN_KEYS: WMS_ADMIN_KEY, WMS_PORT: String(wmsPort), WMS_DATA_DIR: join(dir, 'wms'), WMS_LOCATIONS: 'AMS-1,RTM-2', WMS_UNSTOCKED: 'empty' });
  worker = await startWorker({ BRIDGE_URL: `http://127.0.0.1:${bridgePort}`, INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
  bridgeEnv = {
    BRIDGE_PORT: String(bridgePort),
    BRIDGE_DATA_DIR: join(dir, 'bridge'),
    INTERNAL_SECRET: secret,
    EDGE_URL: worker.url,
    WMS_URL: `http://127.0.0.1:${wmsPort}/wms`,
    WMS_LOCATIONS: 'AMS-1,RTM-2',
    BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEY,
    SAGA: 'off',
    SNAPSHOTS: 'off',
    ORDERS: 'off',
    FEED_POLL_MS: '100',
    FEED_PAGE_SIZE: '3',
  };
  bridge = await startBridgeProcess(bridgeEnv);
});
afterAll(async () => {
  await bridge?.kill('SIGTERM');
  await wms?.kill('SIGTERM');
  await worker?.close();
  await rm(dir, { recursive: true, force: true });
});

const post = async (movement: Record<string, unknown>) => {
  const res = await fetch(`${wms.url}/admin/movements`, { method: 'POST', headers: { authorization: `Bearer ${WMS_ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(movement) });
  expect(res.status).toBe(201);
};
type Location = { location: string; onHand: number; fed: { warehouse: string; sequence: number } | null };
const locations = async (sku: string): Promise<Location[]> => {
  const res = await fetch(`${worker.url}/v1/skus/${sku}?consistent=true`, { headers: { authorization: `Bearer ${STOREFRONT_KEY}` } });
  if (res.status === 404) return [];
  return ((await res.json()) as { locations?: Location[] }).locations ?? [];
};
const moved = (log: SkuEvent[]) => log.filter((e) => e.type === 'StockMoved').map((e) => (e.data as { cause: { document: string } }).cause.document);

describe('the warehouse feed, SOAP simulator to SKU objects', () => {
  it('every receipt, count and damage lands once, in order; a bridge killed mid-feed resumes from its cursor; a redelivery is applied:false', async () => {
    const sku = 'FEED-E2E-1';
    await post({ type: 'receipt', document: 'E-1', location: 'AMS-1', sku, qty: 10 });
    await post({ type: 'receipt', document: 'E-2', location: 'RTM-2', sku, qty: 4 });
    await post({ type: 'count', document: 'E-3', location: 'AMS-1', sku, qty: 8 });
    await waitFor('the first three documents applied', async () => (await locations(sku)).find((l) => l.location === 'AMS-1')?.fed?.sequence === 3, 60_000);

    await bridge.kill('SIGKILL');
    await post({ type: 'damage', document: 'E-4', location: 'RTM-2', sku, qty: 1 });
    await post({ type: 'receipt', document: 'E-5', location: 'AMS-1', sku, qty: 2 });
    bridge = await startBridgeProcess(bridgeEnv);
    await waitFor('every document applied', async () => (await locations(sku)).find((l) => l.location === 'AMS-1')?.fed?.sequence === 5, 60_000);
    const at = await locations(sku);
    expect(at.map(({ location, onHand, fed }) => ({ location, onHand, fed }))).toEqual(
      expect.arrayContaining([
        { location: 'AMS-1', onHand: 10, fed: { warehouse: 'soap-1', sequence: 5 } },
        { location: 'RTM-2', onHand: 3, fed: { warehouse: 'soap-1', sequence: 4 } },
      ]),
    );
    expect(moved(await objectLog(worker.env.SKU, sku))).toEqual(['E-1', 'E-2', 'E-3', 'E-4', 'E-5']);

    // The same document again (as after a crash before the cursor's commit): counted already.
    const again = await createEdgeClient(worker.url, secret).movement(sku, { warehouse: 'soap-1', document: 'E-4', sequence: 4, movement: 'damage', location: 'RTM-2', delta: -1, at: new Date().toISOString() });
    expect(again).toMatchObject({ applied: false, location: { location: 'RTM-2', onHand: 3 } });
    expect(moved(await objectLog(worker.env.SKU, sku))).toHaveLength(5);

    const cli = await runCli(['--json', 'warehouses'], { BRIDGE_ADMIN_URL: bridge.adminUrl, BRIDGE_ADMIN_KEY });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ feed: 'on', warehouses: [{ id: 'soap-1', locations: ['AMS-1', 'RTM-2'], latest: 5, lag: 0, cursor: { sequence: 5, document: 'E-5' }, health: { ok: true } }] });
  });
});
