import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeClient } from '../../bridge/edge/client';
import type { Movement } from '../../bridge/wms/movements';
import type { AllocationSaga } from '../../src/domain/allocation';
import type { SkuEvent } from '../../src/domain/sku';
import { runCli, type CliResult } from './support/cli';
import { BRIDGE_ADMIN_KEY, freePort, startBridgeProcess, startWmsProcess, WMS_ADMIN_KEY, type BridgeProcess, type ServiceProcess } from './support/processes';
import { objectLog, waitFor } from './support/system';
import { ADMIN_KEY, startWorker, STOREFRONT_KEY } from './support/worker';

/**
 * `inventory reconcile` on stock levels and `inventory stock`, as operators run them, against the
 * Worker, the bridge with its saga, and a warehouse with two sites that stocks nothing unless told.
 * The warehouse's documents are posted to it behind the edge's back (no feed runs here), so the
 * two sides disagree exactly where the test says.
 */
const secret = randomBytes(32).toString('hex');
const SKU = 'LVL-A';
let dataDir: string;
let worker: Awaited<ReturnType<typeof startWorker>>;
let bridge: BridgeProcess;
let wms: ServiceProcess;
let cliEnv: Record<string, string>;
const ids: string[] = [];

const cli = (...args: string[]) => runCli(args, cliEnv);
const json = <T>(result: CliResult, code = 0): T => {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(code);
  return JSON.parse(result.stdout) as T;
};

async function edge(path: string, method: string, body: unknown, key = ADMIN_KEY, headers: Record<string, string> = {}) {
  const response = await fetch(`${worker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

/** A warehouse document, posted to the simulator's admin API: the movement it recorded. */
async function movement(body: object): Promise<Movement> {
  const response = await fetch(`${wms.url}/admin/movements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${WMS_ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Movement;
}

/** What the bridge's feed does with a warehouse document: the signed internal call to the edge. */
async function feed({ document, sequence, type, location, sku, delta, at }: Movement): Promise<void> {
  const result = await createEdgeClient(worker.url, secret).movement(sku, { warehouse: 'soap-1', document, sequence, movement: type as 'receipt' | 'count' | 'damage', location, delta, at });
  expect(result.applied).toBe(true);
}

const sagas = async () =>
  ((await (await fetch(`${bridge.adminUrl}/admin/sagas`, { headers: { authorization: `Bearer ${BRIDGE_ADMIN_KEY}` } })).json()) as { sagas: AllocationSaga[] }).sagas;

type Difference = { kind: string; sku: string; location: string; warehouse: string; edge: number; wms: number; physical: number; shipped: number; difference: number; document: { document: string; sequence: number } | null };
type Levels = { warehouse: string; skus: string[]; unlocated: string[]; compared: number; units: { edge: number; wms: number }; differences: Difference[]; repaired: { ok: boolean; location: string; difference: number; onHand: number | null; idempotencyKey: string; error: string | null }[] };

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'levels-e2e-'));
  const [bridgePort, wmsPort] = [await freePort(), await freePort()];
  wms = await startWmsProcess({ WMS_ADMIN_KEYS: WMS_ADMIN_KEY, WMS_PORT: String(wmsPort), WMS_DATA_DIR: join(dataDir, 'wms'), WMS_LOCATIONS: 'AMS-1,RTM-2', WMS_UNSTOCKED: 'empty' });
  const wmsUrl = `${wms.url}/wms`;
  worker = await startWorker({ BRIDGE_URL: `http://127.0.0.1:${bridgePort}`, INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
  bridge = await startBridgeProcess({
    BRIDGE_PORT: String(bridgePort),
    INTERNAL_SECRET: secret,
    EDGE_URL: worker.url,
    BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEY,
    WMS_URL: wmsUrl,
    BRIDGE_DATA_DIR: join(dataDir, 'bridge'),
    KAFKA_BROKERS: '',
    // The spec plays the feed itself (`feed`), document by document, to hold one back on purpose.
    FEED: 'off',
  });
  cliEnv = { EDGE_URL: worker.url, BRIDGE_ADMIN_URL: bridge.adminUrl, WMS_URL: wmsUrl, EDGE_ADMIN_KEY: ADMIN_KEY, BRIDGE_ADMIN_KEY, WMS_ADMIN_KEY };

  // The same stock on both sides: 40 at AMS-1 (sourced first), 25 at RTM-2; a SKU placed nowhere beside it.
  await movement({ type: 'receipt', document: 'RCV-1', location: 'AMS-1', sku: SKU, qty: 40 });
  await movement({ type: 'receipt', document: 'RCV-2', location: 'RTM-2', sku: SKU, qty: 25 });
  expect((await edge(`/v1/admin/skus/${SKU}/stock`, 'PUT', { onHand: 40, location: 'AMS-1', priority: 0 })).status).toBe(200);
  expect((await edge(`/v1/admin/skus/${SKU}/stock`, 'PUT', { onHand: 25, location: 'RTM-2', priority: 1, region: 'nl' })).status).toBe(200);
  expect((await edge('/v1/admin/skus/LVL-NOWHERE/stock', 'PUT', { onHand: 5 })).status).toBe(200);
  for (const customerId of ['ann', 'ben', 'cat']) {
    const reserved = await edge(`/v1/skus/${SKU}/reservations`, 'POST', { customerId, qty: 1 }, STOREFRONT_KEY, { 'idempotency-key': `lvl-${customerId}` });
    expect(reserved.status).toBe(201);
    ids.push(reserved.body.reservationId as string);
  }
  await waitFor('the saga to allocate every reservation', async () => {
    const all = await sagas();
    return all.length === 3 && all.every((s) => s.phase === 'allocated');
  });
  // Ann buys, and the warehouse ships her unit: physical 39 + shipped 1, still 40 on hand at the edge (1 sold).
  expect((await edge(`/v1/skus/${SKU}/reservations/${ids[0]}/complete`, 'POST', { customerId: 'ann' }, STOREFRONT_KEY)).status).toBe(200);
  await movement({ type: 'shipment', document: 'SHP-3', reservationId: ids[0] });
});

afterAll(async () => {
  await bridge?.kill('SIGTERM');
  await wms?.kill('SIGTERM');
  await worker?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('inventory reconcile on stock levels, and inventory stock', () => {
  it('stock: a row per location with what it holds, reserved, sold and available, its priority and region, and the totals', async () => {
    const report = json<{ sku: string; locations: object[]; total: object }>(await cli('--json', 'stock', SKU));
    expect(report).toMatchObject({
      sku: SKU,
      locations: [
        { location: 'AMS-1', onHand: 40, reserved: 2, sold: 1, available: 37, priority: 0, region: null, feed: null },
        { location: 'RTM-2', onHand: 25, reserved: 0, sold: 0, available: 25, priority: 1, region: 'nl', feed: null },
      ],
      total: { onHand: 65, reserved: 2, sold: 1, available: 62 },
    });
    const human = await cli('stock', SKU);
    expect(human.code).toBe(0);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toMatch(/^LOCATION\s+ON HAND\s+RESERVED\s+SOLD\s+AVAILABLE\s+FED BY\s+SEQUENCE\s+REGION\s+PRIORITY$/);
    expect(lines[1]).toMatch(/^AMS-1\s+40\s+2\s+1\s+37\s+-\s+-\s+-\s+0$/);
    expect(lines[2]).toMatch(/^RTM-2\s+25\s+0\s+0\s+25\s+-\s+-\s+nl\s+1$/);
    expect(lines[3]).toMatch(/^total\s+65\s+2\s+1\s+62$/);
    expect(lines[4]).toMatch(new RegExp(`^${SKU} at version \\d+$`));
    // A SKU that names no location: one row, default.
    expect(json<{ locations: { location: string; onHand: number }[] }>(await cli('--json', 'stock', 'LVL-NOWHERE')).locations).toMatchObject([{ location: 'default', onHand: 5 }]);
    const missing = await cli('stock', 'LVL-NONE');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('HTTP 404: sku_not_found');
  });

  it('levels agree after a sale shipped (the edge keeps it on hand, the warehouse counts it shipped); a SKU placed nowhere is not compared', async () => {
    const human = await cli('reconcile', '--sku', SKU, 'LVL-NOWHERE');
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(
      'not counted)\n\nstock levels at soap-1: locations compared 2 over 1 SKUs; SKUs naming no location (not compared): 1\n' +
        'units on hand: edge 65, warehouse 65 (physical + shipped)\n' +
        'level differences: 0; in flight: 0 (the feed and the warehouse at different documents: not repaired, not counted)\n',
    );
    // Unnamed, the SKUs are those the warehouse stocks or the sagas touched: LVL-NOWHERE is neither.
    const levels = json<{ levels: Levels[] }>(await cli('--json', 'reconcile')).levels;
    expect(levels).toEqual([{ warehouse: 'soap-1', skus: [SKU], unlocated: [], compared: 2, units: { edge: 65, wms: 65 }, differences: [], repaired: [] }]);
  });

  it('documents the edge missed are differences citing them; --repair adjusts the edge once per document; run again it changes nothing', async () => {
    // A stocktake finds 35 at AMS-1 (39 on the shelves before), two units are damaged at RTM-2.
    await movement({ type: 'count', document: 'CNT-4', location: 'AMS-1', sku: SKU, qty: 35 });
    await movement({ type: 'damage', document: 'DMG-5', location: 'RTM-2', sku: SKU, qty: 2 });

    const found = await cli('reconcile', '--sku', SKU);
    expect(found.code).toBe(1);
    expect(found.stdout).toContain('units on hand: edge 65, warehouse 59 (physical + shipped)\nlevel differences: 2; in flight: 0');
    expect(found.stdout).toMatch(/^KIND\s+SKU\s+LOCATION\s+WAREHOUSE\s+EDGE\s+WMS\s+DIFFERENCE\s+LAST DOCUMENT$/m);
    expect(found.stdout).toMatch(/^differs\s+LVL-A\s+AMS-1\s+soap-1\s+40\s+36\s+-4\s+CNT-4 \(#4\)$/m);
    expect(found.stdout).toMatch(/^differs\s+LVL-A\s+RTM-2\s+soap-1\s+25\s+23\s+-2\s+DMG-5 \(#5\)$/m);
    const differences = json<{ levels: Levels[] }>(await cli('--json', 'reconcile', '--sku', SKU), 1).levels[0]!.differences;
    expect(differences).toEqual([
      { kind: 'differs', sku: SKU, location: 'AMS-1', warehouse: 'soap-1', edge: 40, wms: 36, physical: 35, shipped: 1, difference: -4, document: { document: 'CNT-4', sequence: 4 }, fed: null },
      { kind: 'differs', sku: SKU, location: 'RTM-2', warehouse: 'soap-1', edge: 25, wms: 23, physical: 23, shipped: 0, difference: -2, document: { document: 'DMG-5', sequence: 5 }, fed: null },
    ]);

    const repaired = json<{ levels: Levels[] }>(await cli('--json', 'reconcile', '--sku', SKU, '--repair')).levels[0]!;
    expect(repaired.repaired).toEqual([
      { sku: SKU, location: 'AMS-1', warehouse: 'soap-1', difference: -4, document: { document: 'CNT-4', sequence: 4 }, idempotencyKey: 'reconcile-level:soap-1:LVL-A:AMS-1:4', onHand: 36, ok: true, error: null },
      { sku: SKU, location: 'RTM-2', warehouse: 'soap-1', difference: -2, document: { document: 'DMG-5', sequence: 5 }, idempotencyKey: 'reconcile-level:soap-1:LVL-A:RTM-2:5', onHand: 23, ok: true, error: null },
    ]);

    // Clean now; a second repair finds nothing to do, and the log holds one adjustment per document, citing it.
    const clean = await cli('reconcile', '--sku', SKU);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('units on hand: edge 59, warehouse 59 (physical + shipped)\nlevel differences: 0; in flight: 0');
    const again = json<{ levels: Levels[] }>(await cli('--json', 'reconcile', '--sku', SKU, '--repair')).levels[0]!;
    expect(again).toMatchObject({ differences: [], repaired: [] });
    const moved = (await objectLog(worker.env.SKU, SKU)).filter((e): e is Extract<SkuEvent, { type: 'StockMoved' }> => e.type === 'StockMoved');
    expect(moved.map((e) => [e.data.location, e.data.delta, e.data.cause.kind, 'document' in e.data.cause ? e.data.cause.document : null])).toEqual([
      ['AMS-1', -4, 'repair', 'CNT-4'],
      ['RTM-2', -2, 'repair', 'DMG-5'],
    ]);

    // A repair whose answer was lost, sent again under its key: answered from the first, nothing moves twice.
    const retried = await edge(`/v1/admin/skus/${SKU}/adjustments`, 'POST', { location: 'AMS-1', delta: -4, reason: 'reconcile: warehouse soap-1 counts 36 (physical 35 + shipped 1), the edge 40', document: 'CNT-4' }, ADMIN_KEY, {
      'idempotency-key': 'reconcile-level:soap-1:LVL-A:AMS-1:4',
    });
    expect([retried.status, (retried.body.location as { onHand: number }).onHand]).toEqual([200, 36]);
    expect(json<{ locations: { onHand: number }[] }>(await cli('--json', 'stock', SKU)).locations.map((l) => l.onHand)).toEqual([36, 23]);
  });

  it('--warehouse names the warehouse system; an unknown one is a usage error', async () => {
    expect(json<{ levels: Levels[] }>(await cli('--json', 'reconcile', '--sku', SKU, '--warehouse', 'soap-1')).levels.map((l) => l.warehouse)).toEqual(['soap-1']);
    expect(await cli('reconcile', '--warehouse', 'sap-9')).toEqual({ code: 2, stdout: '', stderr: 'error: no warehouse sap-9 (configured: soap-1)\n' });
  });

  it('a fed location: stock names its warehouse and document; a document the feed has not applied yet is in flight, not repaired', async () => {
    const sku = 'LVL-F';
    await feed(await movement({ type: 'receipt', document: 'RCV-F1', location: 'AMS-1', sku, qty: 10 }));
    const received = json<{ locations: { location: string; onHand: number; feed: { warehouse: string; sequence: number } | null }[] }>(await cli('--json', 'stock', sku));
    const first = received.locations[0]!.feed!.sequence;
    expect(received.locations).toMatchObject([{ location: 'AMS-1', onHand: 10, feed: { warehouse: 'soap-1' } }]);
    expect((await cli('stock', sku)).stdout).toMatch(new RegExp(`^AMS-1\\s+10\\s+0\\s+0\\s+10\\s+soap-1\\s+${first}\\s+-\\s+0$`, 'm'));
    expect((await cli('reconcile', '--sku', sku)).code).toBe(0);

    // Three units damaged at the warehouse, its document not yet fed to the edge.
    const damage = await movement({ type: 'damage', document: 'DMG-F2', location: 'AMS-1', sku, qty: 3 });
    const during = json<{ levels: Levels[] }>(await cli('--json', 'reconcile', '--sku', sku, '--repair')).levels[0]!;
    expect(during.differences).toEqual([
      { kind: 'in_flight', sku, location: 'AMS-1', warehouse: 'soap-1', edge: 10, wms: 7, physical: 7, shipped: 0, difference: -3, document: { document: 'DMG-F2', sequence: damage.sequence }, fed: { warehouse: 'soap-1', sequence: first } },
    ]);
    expect(during.repaired).toEqual([]);
    const human = await cli('reconcile', '--sku', sku);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^in_flight\\s+LVL-F\\s+AMS-1\\s+soap-1\\s+10\\s+7\\s+-3\\s+DMG-F2 \\(#${damage.sequence}\\)$`, 'm'));

    // The feed catches up: nothing left, and the stock shows the later document.
    await feed(damage);
    expect(json<{ levels: Levels[] }>(await cli('--json', 'reconcile', '--sku', sku)).levels[0]).toMatchObject({ units: { edge: 7, wms: 7 }, differences: [] });
    expect(json<{ locations: object[] }>(await cli('--json', 'stock', sku)).locations).toMatchObject([{ onHand: 7, feed: { warehouse: 'soap-1', sequence: damage.sequence } }]);
  });
});
