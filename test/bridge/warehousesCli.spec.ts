import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bridge/config';
import { WarehousesReportSchema } from '../../bridge/feed/status';
import { startBridge, type RunningBridge } from '../../bridge/server';
import type { RunningWmsSimulator } from '../../bridge/wms/simulator';
import { runCli } from '../e2e/support/cli';
import { freePort } from '../e2e/support/processes';
import { recordingEdge } from './support/feedEdge';
import { admin as sapAdmin, PASSWORD as SAP_PASSWORD, USER as SAP_USER, useSapSimulators } from './sap/support/sapSimulator';
import { admin, useWmsSimulators } from './support/wmsSimulator';

/**
 * `inventory warehouses`, the real binary against a real bridge (embedded log, the feed on) that
 * follows two warehouses: the SOAP simulator, and one nobody answers at; then the SOAP one and the
 * SAP simulator (kind odata). The edge's movements route is `recordingEdge` (the SKU decider in
 * memory) behind a bare HTTP server, so no workerd.
 */
const KEY = 'warehouses-cli-spec-key';
const sims = useWmsSimulators();
const saps = useSapSimulators();
let dir = '';
let bridge: RunningBridge | null = null;
let edgeServer: Server | null = null;
const edge = recordingEdge();

async function startEdge(): Promise<string> {
  edgeServer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const sku = /^\/internal\/skus\/([^/]+)\/movements$/.exec(req.url ?? '')?.[1];
      if (req.method !== 'POST' || !sku) return res.writeHead(404).end();
      edge.movement(decodeURIComponent(sku), JSON.parse(body)).then(
        (result) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result)),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => edgeServer!.listen(0, '127.0.0.1', resolve));
  const address = edgeServer.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

let simulator: RunningWmsSimulator;
let deadUrl = '';
let edgeUrl = '';
beforeAll(async () => {
  edgeUrl = await startEdge();
  dir = await mkdtemp(join(tmpdir(), 'warehouses-cli-'));
  ({ simulator } = await sims.start({ locations: ['AMS-1'], unstocked: 'empty' }));
  deadUrl = `http://127.0.0.1:${await freePort()}/wms`;
});
afterAll(async () => {
  await bridge?.close();
  await new Promise((resolve) => (edgeServer ? edgeServer.close(resolve) : resolve(undefined)));
  await rm(dir, { recursive: true, force: true });
});

async function start(warehouses: unknown[]) {
  bridge = await startBridge(
    loadConfig({
      INTERNAL_SECRET: 's',
      BRIDGE_PORT: '0',
      BRIDGE_ADMIN_PORT: '0',
      BRIDGE_DATA_DIR: join(dir, 'bridge'),
      BRIDGE_ADMIN_KEYS: KEY,
      SAGA: 'off',
      SNAPSHOTS: 'off',
      ORDERS: 'off',
      EDGE_URL: edgeUrl,
      WAREHOUSES: JSON.stringify(warehouses),
      FEED_POLL_MS: '50',
      WMS_CALL_TIMEOUT_MS: '500',
    }),
    pino({ level: 'silent' }),
  );
  return bridge;
}

/** Once the feed has joined its group and its follower reports each warehouse caught up or failing, not mid-page. */
async function followed(running: RunningBridge) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${running.adminUrl}/admin/warehouses`, { headers: { authorization: `Bearer ${KEY}` } });
    const report = WarehousesReportSchema.parse(await res.json());
    if (report.warehouses.every((w) => w.follower.live !== null && w.follower.live.state !== 'following' && w.follower.live.state !== 'stopped')) return report;
    if (Date.now() > deadline) throw new Error('the feed did not report in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const cli = (...args: string[]) => runCli(args, { BRIDGE_ADMIN_URL: bridge!.adminUrl, BRIDGE_ADMIN_KEY: KEY });

describe('inventory warehouses', () => {
  it('shows each warehouse’s health, cursor, latest sequence, lag, last document and follower; a dead one is DOWN (exit 1)', async () => {
    await admin(simulator, 'POST', '/admin/movements', { type: 'receipt', document: 'W-1', location: 'AMS-1', sku: 'SKU-W', qty: 3 });
    await admin(simulator, 'POST', '/admin/movements', { type: 'count', document: 'W-2', location: 'AMS-1', sku: 'SKU-W', qty: 2 });
    const running = await start([
      { id: 'soap-1', kind: 'soap', url: simulator.soapUrl, locations: ['AMS-1'], priority: 1, region: 'eu' },
      { id: 'legacy-2', kind: 'soap', url: deadUrl },
    ]);
    const deadline = Date.now() + 20_000;
    while (edge.calls.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(edge.calls.map((c) => c.command.document)).toEqual(['W-1', 'W-2']);
    await followed(running);

    const json = await cli('--json', 'warehouses');
    expect(json.code, json.stderr).toBe(1);
    const report = WarehousesReportSchema.parse(JSON.parse(json.stdout));
    expect(report.feed).toBe('on');
    expect(report.asked).toBe(running.adminUrl);
    const [soap, dead] = report.warehouses;
    expect(soap).toMatchObject({
      id: 'soap-1',
      kind: 'soap',
      url: simulator.soapUrl,
      locations: ['AMS-1'],
      priority: 1,
      region: 'eu',
      health: { ok: true, detail: 'ListMovements answered (latest sequence 2)' },
      latest: 2,
      cursor: { warehouse: 'soap-1', sequence: 2, document: 'W-2', movement: 'count' },
      lag: 0,
      follower: { partition: 0, endpoint: running.adminUrl, live: { state: 'caught_up', committed: 2, handled: { applied: 2, duplicate: 0, shipment: 0 } } },
    });
    expect(dead).toMatchObject({ id: 'legacy-2', health: { ok: false }, latest: null, cursor: null, lag: null, follower: { partition: 0, endpoint: running.adminUrl } });
    expect(dead!.follower.live?.state).toBe('backing_off');
    expect(dead!.follower.live?.lastError?.step).toBe('warehouse');

    const human = await cli('warehouses');
    expect(human.code).toBe(1);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^WAREHOUSE\s+KIND\s+HEALTH\s+CURSOR\s+LATEST\s+LAG\s+LAST DOCUMENT\s+AT\s+FOLLOWER\s+STATE$/);
    expect(lines[1]).toMatch(new RegExp(`^soap-1\\s+soap\\s+ok\\s+2\\s+2\\s+0\\s+W-2 count\\s+${soap!.cursor!.at!.replace(/\./g, '\\.')}\\s+${running.adminUrl.replace(/\./g, '\\.')} \\(p0\\)\\s+caught_up$`));
    expect(lines[2]).toMatch(/^legacy-2\s+soap\s+DOWN\s+0\s+-\s+-\s+-\s+-\s+\S+ \(p0\)\s+backing_off$/);
    expect(lines.slice(3).join('\n')).toMatch(/^legacy-2: the warehouse does not answer: .+\nlegacy-2: backing off at sequence 0 \(warehouse, \d+ attempts?, last .+\): .+$/);

    // Back to warehouses that answer, one of each kind (an SAP system through OData beside), followed: exit 0.
    await running.close();
    bridge = null;
    const sap = await saps.start({ plants: { 'FRA-1': { plant: '1010', storageLocation: '0001' } } });
    expect((await sapAdmin(sap, 'POST', '/admin/movements', { type: 'receipt', document: 'S-1', location: 'FRA-1', sku: 'SKU-S', qty: 4 })).status).toBe(201);
    const again = await start([
      { id: 'soap-1', kind: 'soap', url: simulator.soapUrl },
      { id: 'sap-1', kind: 'odata', url: sap.url, user: SAP_USER, password: SAP_PASSWORD, plants: { 'FRA-1': { plant: '1010', storageLocation: '0001' } }, locations: ['FRA-1'] },
    ]);
    await followed(again);
    const ok = await cli('warehouses');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const okLines = ok.stdout.trimEnd().split('\n');
    expect(okLines[2]).toMatch(/^sap-1\s+odata\s+ok\s+1\s+1\s+0\s+4900000001 receipt\s+\S+\s+\S+ \(p0\)\s+caught_up$/);
    expect(okLines.at(-1)).toBe('2 warehouses, all answering and followed');
    expect(edge.calls.map((c) => c.command.document)).toEqual(['W-1', 'W-2', '4900000001']);
  });
});
