import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSapClient } from '../../bridge/sap/client';
import type { WmsClient } from '../../bridge/wms/client';
import type { MovementRequest } from '../../bridge/wms/movements';
import type { AllocationSaga } from '../../src/domain/allocation';
import { foldLedger, type SkuEventOf } from '../../src/domain/sku';
import { feedCountedOnce, levelsAgree, locationsNeverOversold, resourcingsNamed, type Logged } from '../../torture/locationChecks';
import { runCli } from './support/cli';
import { fedBuyer } from './support/fedSale';
import { adminLogs, allMovements, CALM, postMovement, setWmsFaults, stockLevels, waitFed } from './support/fedStock';
import { BRIDGE_ADMIN_KEY, freePort, startSapProcess, WMS_ADMIN_KEY, type ServiceProcess } from './support/processes';
import { sagaSystem, startSagaStack, type SagaStack } from './support/sagaSystem';
import { pool, waitFor } from './support/system';
import { heldOnce, listDespiteFaults } from './support/twoWarehouses';
import { ADMIN_KEY } from './support/worker';

/**
 * Two warehouse systems (issue 23), real processes: the SOAP warehouse `soap-1` serving AMS-1 and
 * the SAP OData one `sap-1` serving FRA-1 (sourced first), both with faults on, the bridge on Kafka
 * feeding from both. Three SKUs stocked at both by goods receipts, 200 buyers; mid-sale SAP goes
 * down for two minutes and the sagas fail over: reservations caught there move to AMS-1 while it
 * has units. Afterwards every reservation is held at exactly one warehouse or released with a true
 * reason, the invariants hold on every version of every log, reconcile finds nothing.
 */
const SOAP = { id: 'soap-1', location: 'AMS-1', priority: 1, opening: 60 } as const;
const SAP = { id: 'sap-1', location: 'FRA-1', priority: 0, opening: 40, plant: { plant: '1010', storageLocation: '0001' } } as const;
const SAP_USER = 'INVENTORY';
const SAP_PASSWORD = 'e2e-sap-password';
const SAP_ADMIN_KEY = 'e2e-sap-admin';
const SKUS = ['TWO-A', 'TWO-B', 'TWO-C'];
const BUYERS = 200;
const OUTAGE_MS = 120_000;
const WMS_FAULTS = { WMS_LATENCY_MS: '2-20', WMS_TIMEOUT_RATE: '0.1', WMS_FAULT_RATE: '0.05', WMS_DUPLICATE_RATE: '0.1', WMS_LATE_RATE: '0.05', WMS_LATE_MS: '1500' };
const SAP_FAULTS = { SAP_LATENCY_MS: '2-20', SAP_TIMEOUT_RATE: '0.05', SAP_FAULT_RATE: '0.05', SAP_DUPLICATE_RATE: '0.1', SAP_LATE_RATE: '0.05', SAP_LATE_MS: '1500', SAP_THROTTLE_RATE: '0.05', SAP_RETRY_AFTER_S: '1' };
const BRIDGE_START_MS = 120_000;

let stack: SagaStack;
let sap: ServiceProcess;
let sapClient: WmsClient;
let dataDir: string;
const sapWarehouse = () => ({ id: SAP.id, kind: 'odata', url: sap.url, user: SAP_USER, password: SAP_PASSWORD, plants: { [SAP.location]: SAP.plant }, locations: [SAP.location] });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'two-warehouses-e2e-'));
  sap = await startSapProcess({ SAP_PORT: String(await freePort()), SAP_ADMIN_KEYS: SAP_ADMIN_KEY, SAP_USER, SAP_PASSWORD, SAP_PLANTS: JSON.stringify({ [SAP.location]: SAP.plant }), SAP_UNSTOCKED: 'empty', ...SAP_FAULTS });
  sapClient = createSapClient({ url: sap.url, user: SAP_USER, password: SAP_PASSWORD, plants: { [SAP.location]: SAP.plant } });
  stack = await startSagaStack('two-warehouses-e2e', { WMS_LOCATIONS: SOAP.location, WMS_UNSTOCKED: 'empty', ...WMS_FAULTS }, (wmsUrl) => ({
    WAREHOUSES: JSON.stringify([{ id: SOAP.id, kind: 'soap', url: wmsUrl, locations: [SOAP.location] }, sapWarehouse()]),
    WMS_CALL_TIMEOUT_MS: '400',
    ALLOCATION_DEADLINE_SECONDS: '6',
    // Every saga's end state is read at the end: none retired meanwhile.
    SAGA_RETENTION_SECONDS: '3600',
    // A create SAP applied late (its fault) is swept within the test's patience, not the default 30 s.
    SAP_SWEEP_MS: '2000',
  }), BRIDGE_START_MS);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await sap?.kill('SIGTERM');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const { edge, waitSettled, sagas } = sagaSystem({ worker: () => stack.worker, bridgeUrl: () => stack.bridge.adminUrl, wms: () => stack.wms });
const warehouseOf = (location: string | null) => (location === SAP.location ? SAP.id : SOAP.id);
const adminPost = async (url: string, key: string, path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.ok, `${path}: ${res.status}`).toBe(true);
  return res.json() as Promise<Record<string, unknown>>;
};

/** SAP's documents per reference: more than one live, or a live one after the reference's first was deleted (diagnostics). */
async function strays() {
  const res = await fetch(`${sap.url}/admin/reservations`, { headers: { authorization: `Bearer ${SAP_ADMIN_KEY}` } });
  const docs = (await res.json()) as { reservation: string; items: { text: string; deleted: boolean }[] }[];
  const byText = new Map<string, { reservation: string; deleted: boolean }[]>();
  for (const d of docs) for (const item of d.items) byText.set(item.text, [...(byText.get(item.text) ?? []), { reservation: d.reservation, deleted: item.deleted }]);
  const odd = [...byText].filter(([, list]) => list.filter((x) => !x.deleted).length > 1 || list.slice(1).some((x) => !x.deleted && list[0]!.deleted));
  return { documents: docs.length, references: byText.size, odd: odd.slice(0, 10) };
}

let documents = 0;
const documentNo = (kind: string) => `${kind}-${String(++documents).padStart(5, '0')}`;
const logsOf = () => adminLogs(stack.worker.url, ADMIN_KEY, SKUS);
const movementsOfBoth = async () => ({ soap: await allMovements(stack.wms), sap: await allMovements(sapClient) });

const movementsOfEither = async () => Object.values(await movementsOfBoth()).flat();
const fed = () => waitFed('every document of both warehouses fed to the edge', { movements: movementsOfEither, logs: logsOf }, { timeoutMs: 180_000 });

/** A buyer: most complete, some cancel, some keep their hold. */
const buyer = (i: number) => fedBuyer(edge, i, SKUS[i % SKUS.length]!);

describe('two warehouse systems, SOAP and SAP OData, the SAP one down mid-sale', () => {
  it('200 buyers over 3 SKUs at AMS-1 (SOAP) and FRA-1 (SAP, first); SAP down 2 minutes mid-sale: caught reservations fail over to AMS-1, held at exactly one warehouse, reconcile clean', async () => {
    for (const sku of SKUS) {
      for (const { location, priority } of [SAP, SOAP]) {
        expect((await edge(`/v1/admin/skus/${sku}/stock`, 'PUT', ADMIN_KEY, { onHand: 0, location, priority }, { 'idempotency-key': `place-${sku}-${location}` })).status).toBe(200);
      }
    }
    const receipt = (location: string, sku: string, qty: number): MovementRequest => ({ type: 'receipt', document: documentNo('GR'), location, sku, qty });
    for (const sku of SKUS) {
      expect((await postMovement(stack.wmsProcess.url, WMS_ADMIN_KEY, receipt(SOAP.location, sku, SOAP.opening))).status).toBe(201);
      expect((await postMovement(sap.url, SAP_ADMIN_KEY, receipt(SAP.location, sku, SAP.opening))).status).toBe(201);
    }
    await fed();

    // The sale; SAP goes down once a quarter of the buyers are done.
    let outage: { from: number; until: number } | null = null;
    let down = Promise.resolve();
    const bought = await pool(Array.from({ length: BUYERS }, (_, i) => () => buyer(i)), 24, (done) => {
      if (done === BUYERS / 4) {
        down = adminPost(sap.url, SAP_ADMIN_KEY, '/admin/outage', { forMs: OUTAGE_MS }).then(({ outageUntil }) => {
          outage = { from: Date.now(), until: outageUntil as number };
        });
      }
    });
    await down;
    const window = outage as { from: number; until: number } | null;
    expect(window).not.toBeNull();
    const reserved = bought.filter((b) => b.reserve === 201);
    expect(reserved.length).toBeGreaterThan(BUYERS / 2);

    // SAP comes back; both warehouses calm down (reconcile reads them); every saga at rest.
    await new Promise((r) => setTimeout(r, Math.max(0, window!.until - Date.now())));
    await setWmsFaults(stack.wmsProcess.url, WMS_ADMIN_KEY, CALM);
    await setWmsFaults(sap.url, SAP_ADMIN_KEY, { ...CALM, throttleRate: 0, lostRate: 0 });
    await waitSettled(SKUS, reserved.length);
    // At rest means the allocations left behind at the location a reservation moved from are cancelled too.
    await waitFor('every allocation left behind cancelled', async () => (await Promise.all(SKUS.map(sagas))).flat().every((s) => s.leftBehind.length === 0), 120_000, 500);
    await fed();
    // …and no create SAP applied late still holds units: the bridge's sweep deleted each (ADR 0017's window).
    let atSap = await strays();
    await waitFor('no stray document at SAP', async () => (atSap = await strays()).odd.length === 0, 30_000, 500).catch(() => undefined);
    console.info(`SAP reservation documents: ${JSON.stringify(atSap)}`);
    expect(atSap.odd).toEqual([]);

    const logs = await logsOf();
    const logged: Logged[] = SKUS.map((sku) => ({ sku, log: logs.get(sku)! }));
    const { soap, sap: odata } = await movementsOfBoth();
    const levels = [...(await stockLevels(stack.wms)), ...(await stockLevels(sapClient))].filter((l) => SKUS.includes(l.sku));
    const resourcing = resourcingsNamed(logged);
    const checks = [locationsNeverOversold(logged), resourcing, feedCountedOnce(logged, SOAP.id, soap), feedCountedOnce(logged, SAP.id, odata), levelsAgree(logged, levels)];
    expect(checks.filter((check) => check.violations.length > 0).map((check) => `${check.check}: ${check.violations.slice(0, 8).join('; ')}`)).toEqual([]);
    for (const check of checks) expect(check.checked, check.check).toBeGreaterThan(0);

    // Units held at exactly one warehouse at rest, under the final reference.
    const ledgers = new Map(SKUS.map((sku) => [sku, foldLedger(logs.get(sku)!)]));
    const bySaga = new Map<string, AllocationSaga>((await Promise.all(SKUS.map(sagas))).flat().map((s) => [s.reservationId, s]));
    const records = new Map([[SOAP.id, await listDespiteFaults(stack.wms)], [SAP.id, await listDespiteFaults(sapClient)]]);
    const held = heldOnce(ledgers, bySaga, records, warehouseOf);
    expect(held.violations.slice(0, 8)).toEqual([]);
    expect(held.checked).toBe(reserved.length);

    // Failover: reservations reserved at FRA-1 while SAP was down (and past its deadline before it came back) moved to AMS-1, most of them.
    const failovers = resourcing.resourced.filter((e) => e.data.reason !== 'stock_shortfall');
    for (const { data } of failovers) expect({ from: data.from, to: data.to, reason: ['wms_timeout', 'wms_rejected'].includes(data.reason) }).toEqual({ from: SAP.location, to: SOAP.location, reason: true });
    const movedIds = new Set(failovers.map((e) => e.data.reservationId));
    const reservedAt = new Map(logged.flatMap(({ log }) => log.filter((e): e is SkuEventOf<'StockReserved'> => e.type === 'StockReserved').map((e) => [e.data.reservationId, Date.parse(e.at)] as const)));
    const caught = reserved.filter((b) => b.location === SAP.location && b.action !== 'cancel' && reservedAt.get(b.reservationId!)! >= window!.from && reservedAt.get(b.reservationId!)! < window!.until - 10_000);
    expect(caught.length).toBeGreaterThan(0);
    const caughtMoved = caught.filter((b) => movedIds.has(b.reservationId!));
    expect(caughtMoved.length, `${caughtMoved.length} of ${caught.length} caught by the outage re-sourced`).toBeGreaterThan(caught.length / 2);

    // Every reservation allocated at its final location, or released with a true reason.
    const outcome = { resourced: failovers.length, allocated: 0, released: {} as Record<string, number> };
    for (const b of reserved) {
      const r = ledgers.get(b.sku)!.reservations.get(b.reservationId!)!;
      const saga = bySaga.get(b.reservationId!)!;
      if (r.status !== 'released') {
        expect({ id: r.reservationId, allocation: r.allocation, at: saga.location }).toEqual({ id: r.reservationId, allocation: 'allocated', at: r.location });
        outcome.allocated++;
        continue;
      }
      outcome.released[r.releaseReason!] = (outcome.released[r.releaseReason!] ?? 0) + 1;
      if (b.action === 'cancel' && b.answer === 200) expect(r.releaseReason, r.reservationId).toBe('cancelled');
      else expect(['wms_timeout', 'wms_rejected'], JSON.stringify(r)).toContain(r.releaseReason);
      // A timeout only after the warehouse failed to answer; a sale is never undone by our outage.
      if (r.releaseReason === 'wms_timeout') expect(saga.allocateFailures, r.reservationId).toBeGreaterThan(0);
      if (b.action === 'complete' && b.answer === 200) expect(r.releaseReason, JSON.stringify(r)).toBe('wms_rejected');
    }
    // The bridge logs each sweep that deleted documents (at warn, the level its process runs at here).
    const swept = stack.bridge.output().split('\n').filter((line) => line.includes('stray reservation documents deleted')).flatMap((line) => (JSON.parse(line) as { deleted: string[] }).deleted);
    console.info(`two warehouses: ${JSON.stringify({ buyers: BUYERS, reserved: reserved.length, caught: caught.length, caughtMoved: caughtMoved.length, ...outcome, strays: swept.length })}`);

    // Reconcile, as an operator runs it against both warehouses: nothing to repair, in allocations or levels.
    const warehouses = JSON.stringify([{ id: SOAP.id, kind: 'soap', url: `${stack.wmsProcess.url}/wms`, locations: [SOAP.location] }, sapWarehouse()]);
    const cliEnv = { EDGE_URL: stack.worker.url, BRIDGE_ADMIN_URL: stack.bridge.adminUrl, WMS_URL: `${stack.wmsProcess.url}/wms`, EDGE_ADMIN_KEY: ADMIN_KEY, BRIDGE_ADMIN_KEY, WMS_ADMIN_KEY, WAREHOUSES: warehouses };
    const reconciled = await runCli(['--json', 'reconcile'], cliEnv);
    expect(reconciled.code, reconciled.stdout + reconciled.stderr).toBe(0);
    const report = JSON.parse(reconciled.stdout) as { compared: number; differences: unknown[]; levels: { warehouse: string; compared: number; differences: unknown[] }[] };
    expect(report.differences).toEqual([]);
    expect(report.compared).toBe(reserved.length);
    expect(report.levels.map(({ warehouse, differences, compared }) => ({ warehouse, differences, compared }))).toEqual([
      { warehouse: SOAP.id, differences: [], compared: SKUS.length },
      { warehouse: SAP.id, differences: [], compared: SKUS.length },
    ]);
  }, 480_000);
});
