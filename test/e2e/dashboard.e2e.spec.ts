import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSapSimulator, type RunningSapSimulator } from '../../bridge/sap/simulator/server';
import { launchChromium } from './support/browser';
import { BRIDGE_ADMIN_KEY, freePort, startBridgeProcess, startWmsProcess, WMS_ADMIN_KEY, type BridgeProcess, type ServiceProcess } from './support/processes';
import { ADMIN_KEY, startWorker, STOREFRONT_KEY } from './support/worker';

/** Set to a path to keep a screenshot of the page (docs/dashboard.png). */
const SCREENSHOT = process.env.DASHBOARD_SCREENSHOT;
const secret = 'dashboard-e2e-secret';

let worker: Awaited<ReturnType<typeof startWorker>>;
let bridge: BridgeProcess;
let wms: ServiceProcess;
let sap: RunningSapSimulator;
const SAP_ADMIN_KEY = 'dashboard-e2e-sap-admin';
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  browser = await launchChromium();
  dataDir = await mkdtemp(join(tmpdir(), 'dashboard-e2e-'));
  const [bridgePort, wmsPort] = [await freePort(), await freePort()];
  // With the saga (and a warehouse for it): the page shows its phases and the group that runs it.
  // Its sites are the locations the SKUs name, so an allocation sourced to one finds it there.
  wms = await startWmsProcess({ WMS_ADMIN_KEYS: WMS_ADMIN_KEY, WMS_PORT: String(wmsPort), WMS_DATA_DIR: join(dataDir, 'wms'), WMS_LOCATIONS: 'AMS-1,RTM-2' });
  // A second warehouse, of the other kind: the SAP simulator serving FRA-1; soap-1 lists no location, so it serves the others.
  const plants = { 'FRA-1': { plant: '1010', storageLocation: '0001' } };
  sap = await startSapSimulator({ logger: pino({ level: 'silent' }), adminKeys: [SAP_ADMIN_KEY], user: 'INVENTORY', password: 'dash-password', plants });
  const warehouses = [
    { id: 'soap-1', kind: 'soap', url: `${wms.url}/wms` },
    { id: 'sap-1', kind: 'odata', url: sap.url, user: 'INVENTORY', password: 'dash-password', plants },
  ];
  worker = await startWorker({ BRIDGE_URL: `http://127.0.0.1:${bridgePort}`, INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
  bridge = await startBridgeProcess({
    BRIDGE_PORT: String(bridgePort),
    BRIDGE_DATA_DIR: join(dataDir, 'bridge'),
    INTERNAL_SECRET: secret,
    EDGE_URL: worker.url,
    WMS_URL: `${wms.url}/wms`,
    WAREHOUSES: JSON.stringify(warehouses),
    BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEY,
    // Empty, not unset: a KAFKA_BROKERS of the shell running the tests must not switch the log to Kafka.
    KAFKA_BROKERS: '',
  });
});

afterAll(async () => {
  await browser?.close();
  await bridge?.kill('SIGTERM');
  await wms?.kill('SIGTERM');
  await sap?.close();
  await worker?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const edge = (path: string, method: string, key: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${worker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

let n = 0;
/** Reservations one after another, `perSecond` a second, for `seconds`; how many were granted. */
/** The dashboard signed in with the bridge's admin key and live; `problems`: the page's script errors. */
async function signedIn() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${bridge.adminUrl}/dashboard`);
  await page.fill('#admin-key', BRIDGE_ADMIN_KEY);
  await page.click('button[type=submit]');
  await page.waitForSelector('#live', { state: 'visible' });
  return { page, problems };
}

async function reserveFor(sku: string, seconds: number, perSecond: number): Promise<number> {
  let granted = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const res = await edge(`/v1/skus/${sku}/reservations`, 'POST', STOREFRONT_KEY, { customerId: `buyer-${n}`, qty: 1 }, { 'idempotency-key': `dash-${n++}` });
    if (res.status === 201) granted++;
    await res.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 1000 / perSecond));
  }
  return granted;
}

const cell = (page: Page, sku: string, field: string) => page.locator(`#skus tr[data-sku="${sku}"] td[data-field="${field}"]`);
const number = (text: string | null) => Number((text ?? '').replace(/,/g, ''));

describe('the live dashboard, in a real browser', () => {
  it('asks for the admin key, refuses a wrong one, then shows numbers that move while buyers reserve', async () => {
    const sku = 'dash-live';
    expect((await edge(`/v1/admin/skus/${sku}/stock`, 'PUT', ADMIN_KEY, { onHand: 500, limitPerCustomer: 1 })).status).toBe(200);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${bridge.adminUrl}/dashboard`);
    expect(await page.locator('#live').isHidden()).toBe(true);

    await page.fill('#admin-key', 'not-the-key');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toBe('that key was refused');

    await page.fill('#admin-key', BRIDGE_ADMIN_KEY);
    await page.click('button[type=submit]');
    await page.waitForSelector('#live', { state: 'visible' });

    // Buyers reserve; once the events are relayed the SKU is followed and its numbers move.
    const first = await reserveFor(sku, 3, 10);
    await expect.poll(() => cell(page, sku, 'reserved').textContent(), { timeout: 15_000 }).toBe(String(first));
    expect(await cell(page, sku, 'onHand').textContent()).toBe('500');
    expect(number(await cell(page, sku, 'available').textContent())).toBe(500 - first);
    // Hoarding (issue 26): one unit per buyer, so the top holder holds 1 of 500; nothing expired yet.
    const hoard = (field: string) => page.locator(`#hoarding tr[data-sku="${sku}"] td[data-field="${field}"]`).textContent();
    expect(await hoard('topUnits')).toBe('1');
    expect(await hoard('topShare')).toBe('0.2 %');
    expect(await hoard('expiredUnits')).toBe('0');

    const second = await reserveFor(sku, 4, 10);
    // While they keep coming, the page shows them as a rate, and the total catches up.
    await expect.poll(async () => number(await page.textContent('#rate-reserved')), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => cell(page, sku, 'reserved').textContent(), { timeout: 15_000 }).toBe(String(first + second));
    expect(number(await page.textContent('#relay-rate'))).toBeGreaterThanOrEqual(0);
    expect(await page.textContent('#dead-letters')).toBe('0');
    expect(await page.textContent('#generation')).toBe('g1');
    expect(await page.locator('#chart-outcomes canvas').count()).toBeGreaterThan(0);

    // The group: one replica on the embedded log, owning its one partition, the one serving the page.
    const replica = page.locator(`#replicas tr[data-endpoint="${bridge.adminUrl}"]`);
    await expect.poll(() => page.locator('#replicas tbody tr').count(), { timeout: 15_000 }).toBe(1);
    // Its sagas: one per reservation granted.
    await expect.poll(() => replica.locator('td').allTextContents(), { timeout: 15_000 }).toEqual([bridge.adminUrl, '0', '1', String(first + second), 'this one']);
    expect(await page.textContent('#replicas-note')).toBe('1 replica(s), 1 partitions owned');
    // The sagas of what was reserved, allocated by the warehouse, by phase.
    const phase = (name: string) => page.locator('#sagas tr', { hasText: name }).locator('td').nth(1);
    await expect.poll(async () => number(await phase('allocated').textContent()), { timeout: 30_000 }).toBe(first + second);
    expect(await phase('stuck').textContent()).toBe('0');

    // A repeat buyer is refused (limit 1): the refusal is counted too.
    const again = await edge(`/v1/skus/${sku}/reservations`, 'POST', STOREFRONT_KEY, { customerId: 'buyer-0', qty: 1 }, { 'idempotency-key': 'dash-again' });
    expect(again.status).toBe(409);
    await reserveFor(sku, 2, 5);
    if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows each location of a SKU beneath its row: the stock held there, reserved, sold, available', async () => {
    const sku = 'dash-sites';
    const stock = (body: object) => edge(`/v1/admin/skus/${sku}/stock`, 'PUT', ADMIN_KEY, body);
    expect((await stock({ onHand: 40, location: 'AMS-1', priority: 0 })).status).toBe(200);
    expect((await stock({ onHand: 25, location: 'RTM-2', priority: 1, region: 'nl' })).status).toBe(200);
    // Three buyers without a region go to AMS-1 (priority first), two from nl to RTM-2 (their region).
    for (const [i, region] of [undefined, undefined, undefined, 'nl', 'nl'].entries()) {
      const res = await edge(`/v1/skus/${sku}/reservations`, 'POST', STOREFRONT_KEY, { customerId: `site-${i}`, qty: 1, ...(region ? { region } : {}) }, { 'idempotency-key': `site-${i}` });
      expect(res.status).toBe(201);
    }

    const { page, problems } = await signedIn();

    const sites = page.locator(`#skus tr.location[data-of-sku="${sku}"]`);
    await expect.poll(() => sites.count(), { timeout: 15_000 }).toBe(2);
    const cells = async (location: string) => (await sites.and(page.locator(`[data-location="${location}"]`)).locator('td').allTextContents()).slice(0, 5);
    expect(await cells('AMS-1')).toEqual(['AMS-1', '40', '3', '0', '37']);
    expect(await cells('RTM-2')).toEqual(['RTM-2', '25', '2', '0', '23']);
    // The SKU's own row is the sum, and the locations follow it directly.
    expect(await cell(page, sku, 'onHand').textContent()).toBe('65');
    expect(await cell(page, sku, 'reserved').textContent()).toBe('5');
    const order = await page.locator('#skus tbody tr').evaluateAll((trs: { getAttribute(name: string): string | null }[]) => trs.map((tr) => tr.getAttribute('data-sku') ?? `  ${tr.getAttribute('data-location')}`));
    expect(order.slice(order.indexOf(sku), order.indexOf(sku) + 3)).toEqual([sku, '  AMS-1', '  RTM-2']);
    // A SKU without locations has no such rows.
    expect(await page.locator('#skus tr.location[data-of-sku="dash-live"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows how many shards a sharded SKU has and the regions they live in', async () => {
    const sku = 'dash-shards';
    expect((await edge(`/v1/admin/skus/${sku}/stock`, 'PUT', ADMIN_KEY, { onHand: 40, shards: 4, shardRegions: ['weur', 'enam'] })).status).toBe(200);
    expect((await edge(`/v1/skus/${sku}/reservations`, 'POST', STOREFRONT_KEY, { customerId: 'shard-1', qty: 1 }, { 'idempotency-key': 'shard-1' })).status).toBe(201);
    const { page, problems } = await signedIn();
    await expect.poll(() => cell(page, sku, 'shards').textContent(), { timeout: 15_000 }).toBe('4 · weur enam');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows each warehouse (kind, health, feed lag) and, for each location of a SKU, the warehouse serving it', async () => {
    const sku = 'dash-warehouses';
    const stock = (body: object) => edge(`/v1/admin/skus/${sku}/stock`, 'PUT', ADMIN_KEY, body);
    expect((await stock({ onHand: 5, location: 'AMS-1' })).status).toBe(200);
    expect((await stock({ onHand: 0, location: 'FRA-1' })).status).toBe(200);
    // A goods receipt at the SAP simulator, on an opening balance of 0: the feed brings the 7 units to FRA-1.
    const sapAdmin = (path: string, method: string, body: unknown) =>
      fetch(`${sap.url}${path}`, { method, headers: { authorization: `Bearer ${SAP_ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await sapAdmin(`/admin/stock/FRA-1/${sku}`, 'PUT', { physical: 0 })).status).toBe(200);
    expect((await sapAdmin('/admin/movements', 'POST', { type: 'receipt', document: 'DASH-GR-1', location: 'FRA-1', sku, qty: 7 })).status).toBe(201);
    // Some activity, so the SKU is among those the page follows.
    expect((await edge(`/v1/skus/${sku}/reservations`, 'POST', STOREFRONT_KEY, { customerId: 'wh-1', qty: 1 }, { 'idempotency-key': 'wh-1' })).status).toBe(201);

    const { page, problems } = await signedIn();

    const warehouseRows = () => page.locator('#warehouses tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    // Both answer, and the feed of each has read everything there is (lag 0) and waits for more.
    await expect.poll(warehouseRows, { timeout: 30_000 }).toEqual([
      ['soap-1', 'soap', 'ok', '0', 'caught_up', 'any'],
      ['sap-1', 'odata', 'ok', '0', 'caught_up', 'FRA-1'],
    ]);
    expect(await page.textContent('#warehouses-note')).toBe('2 warehouse(s)');
    // AMS-1 is allocated at soap-1 (the one listing no location), its stock set by hand; FRA-1 is fed by sap-1.
    const servedBy = (location: string) => page.locator(`#skus tr.location[data-of-sku="${sku}"][data-location="${location}"] td[data-field="warehouse"]`);
    await expect.poll(() => servedBy('FRA-1').textContent(), { timeout: 15_000 }).toBe('sap-1 (fed, #1)');
    // Drawn from the warehouses' report once the page has it (the SKUs' next redraw).
    await expect.poll(() => servedBy('AMS-1').textContent(), { timeout: 5_000 }).toBe('soap-1 (stock set by hand)');
    expect(await page.locator(`#skus tr.location[data-of-sku="${sku}"][data-location="FRA-1"] td`).allTextContents()).toEqual(['FRA-1', '7', expect.any(String), '0', expect.any(String), '', '', '', 'sap-1 (fed, #1)']);
    expect(problems).toEqual([]);
    await page.close();
  });
});
