import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MovementRequest } from '../../bridge/wms/movements';
import { locationsOf, foldLedger } from '../../src/domain/sku';
import { fedMovements, feedCountedOnce, levelsAgree, locationsNeverOversold, resourcingsNamed, type Logged } from '../../torture/locationChecks';
import { runCli } from './support/cli';
import { fedBuyer } from './support/fedSale';
import { adminLogs, allMovements, CALM, deliverMovement, movementCommand, postMovement, setWmsFaults, stockLevels, waitFed } from './support/fedStock';
import { BRIDGE_ADMIN_KEY, startBridgeProcess, WMS_ADMIN_KEY } from './support/processes';
import { sagaSystem, startSagaStack, type SagaStack } from './support/sagaSystem';
import { pool, waitFor } from './support/system';
import { ADMIN_KEY, STOREFRONT_KEY } from './support/worker';

/**
 * Stock as the warehouse holds it (issue 22), with real processes: the Worker in workerd, one
 * bridge on a real Kafka broker following the SOAP warehouse's movements, the simulator with two
 * locations and its faults on. Three SKUs stocked at both by goods receipts, 200 buyers; mid-sale
 * more receipts, a count correction below what a location has committed, a damage, and the bridge
 * SIGKILLed right after documents were posted. Afterwards the invariants hold on every version of
 * every log, the warehouse and the edge agree unit for unit, reconcile finds nothing.
 */
const WAREHOUSE = 'soap-1';
const LOCATIONS = [
  { location: 'AMS-1', region: 'weur', priority: 0, opening: 40 },
  { location: 'FRA-2', region: 'weur2', priority: 1, opening: 60 },
] as const;
const SKUS = ['FED-A', 'FED-B', 'FED-C'];
const BUYERS = 200;
const WMS_FAULTS = { WMS_LATENCY_MS: '2-20', WMS_TIMEOUT_RATE: '0.1', WMS_FAULT_RATE: '0.05', WMS_DUPLICATE_RATE: '0.1', WMS_LATE_RATE: '0.05', WMS_LATE_MS: '1500' };

/** The bridge starts its sagas, snapshotter and feed on Kafka: on a loaded machine that takes a while. */
const BRIDGE_START_MS = 120_000;
let stack: SagaStack;

beforeAll(async () => {
  stack = await startSagaStack('fed-stock-e2e', { WMS_LOCATIONS: LOCATIONS.map((l) => l.location).join(','), WMS_UNSTOCKED: 'empty', ...WMS_FAULTS }, (wmsUrl) => ({
    WAREHOUSES: JSON.stringify([{ id: WAREHOUSE, kind: 'soap', url: wmsUrl, locations: LOCATIONS.map((l) => l.location) }]),
    WMS_CALL_TIMEOUT_MS: '400',
    ALLOCATION_DEADLINE_SECONDS: '6',
    // Every saga's end state is read at the end: none retired meanwhile.
    SAGA_RETENTION_SECONDS: '3600',
  }), BRIDGE_START_MS);
});

afterAll(async () => stack?.stop());

const { edge, waitSettled } = sagaSystem({ worker: () => stack.worker, bridgeUrl: () => stack.bridge.adminUrl, wms: () => stack.wms });
const wmsUrl = () => stack.wmsProcess.url;
const cliEnv = () => ({ EDGE_URL: stack.worker.url, BRIDGE_ADMIN_URL: stack.bridge.adminUrl, WMS_URL: `${wmsUrl()}/wms`, EDGE_ADMIN_KEY: ADMIN_KEY, BRIDGE_ADMIN_KEY, WMS_ADMIN_KEY });

type LocationView = { location: string; onHand: number; reserved: number; sold: number; available: number; fed?: { warehouse: string; sequence: number } | null };
async function view(sku: string): Promise<{ onHand: number; reserved: number; sold: number; locations?: LocationView[] }> {
  const res = await edge(`/v1/skus/${sku}?consistent=true`, 'GET', STOREFRONT_KEY);
  expect(res.status).toBe(200);
  return (await res.json()) as Awaited<ReturnType<typeof view>>;
}
const at = async (sku: string, location: string) => (await view(sku)).locations?.find((l) => l.location === location);

let documents = 0;
const documentNo = (kind: string) => `${kind}-${String(++documents).padStart(5, '0')}`;
const post = (movement: MovementRequest) => postMovement(wmsUrl(), WMS_ADMIN_KEY, movement);

const logsOf = () => adminLogs(stack.worker.url, ADMIN_KEY, SKUS);

const fed = () =>
  waitFed('every warehouse document fed to the edge', { movements: () => allMovements(stack.wms), logs: logsOf }, { context: () => stack.bridge.output().slice(-3000) });

/** A buyer: some name a region; most complete, some cancel, some keep their hold. */
const buyer = (i: number) => fedBuyer(edge, i, SKUS[i % SKUS.length]!, [LOCATIONS[0].region, LOCATIONS[1].region, undefined, undefined][i % 4]);

describe('stock fed by the warehouse, per location, over real SOAP and Kafka', () => {
  it('200 buyers over 3 SKUs at two locations; receipts, a count below committed and a damage mid-sale, WMS faults, a bridge SIGKILL: never oversold, every unit accounted for, reconcile clean', async () => {
    // The sites and their regions, before the warehouse feeds them.
    for (const sku of SKUS) {
      for (const { location, region, priority } of LOCATIONS) {
        expect((await edge(`/v1/admin/skus/${sku}/stock`, 'PUT', ADMIN_KEY, { onHand: 0, location, region, priority }, { 'idempotency-key': `place-${sku}-${location}` })).status).toBe(200);
      }
    }
    // Opening goods receipts at the warehouse; one document posted twice is recorded once.
    const opening = SKUS.flatMap((sku) => LOCATIONS.map(({ location, opening: qty }): MovementRequest => ({ type: 'receipt', document: documentNo('GR'), location, sku, qty })));
    for (const movement of opening) expect((await post(movement)).status).toBe(201);
    const twice = await post(opening[0]!);
    expect(twice.status).toBe(200);
    await fed();
    for (const sku of SKUS) {
      const { locations } = await view(sku);
      expect(locations?.map(({ location, onHand, reserved, sold, fed }) => ({ location, onHand, reserved, sold, warehouse: fed?.warehouse }))).toEqual(
        LOCATIONS.map(({ location, opening: qty }) => ({ location, onHand: qty, reserved: 0, sold: 0, warehouse: WAREHOUSE })),
      );
    }

    // A fed location is not set by hand…
    const byHand = await edge(`/v1/admin/skus/${SKUS[0]}/stock`, 'PUT', ADMIN_KEY, { onHand: 1000, location: 'AMS-1' }, { 'idempotency-key': 'by-hand' });
    expect(byHand.status).toBe(409);
    expect(((await byHand.json()) as { error: { code: string } }).error.code).toBe('location_fed');
    // …and a document the feed delivers again counts once.
    const first = (await allMovements(stack.wms))[0]!;
    const before = await at(first.sku, first.location);
    const again = await deliverMovement(stack.worker.url, stack.bridgeEnv.INTERNAL_SECRET!, first.sku, movementCommand(WAREHOUSE, first));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ sku: first.sku, applied: false, location: { location: first.location, onHand: before!.onHand }, shortfall: null });
    expect(await at(first.sku, first.location)).toEqual(before);

    // The sale, with the warehouse's documents arriving while it runs.
    let midSale = Promise.resolve();
    const then = (step: () => Promise<void>): void => {
      midSale = midSale.then(step);
    };
    let correction: { sku: string; location: string; committed: number; counted: number; document: string } | null = null;
    let damaged: string | null = null;
    let restarted = false;
    const bought = await pool(
      Array.from({ length: BUYERS }, (_, i) => () => buyer(i)),
      24,
      (done) => {
        if (done === 40) {
          then(async () => {
            for (const sku of SKUS) await post({ type: 'receipt', document: documentNo('GR'), location: 'AMS-1', sku, qty: 10 });
          });
        }
        if (done === 80) {
          then(async () => {
            // A stocktake at AMS-1 finds half of what it has committed: a shortfall the edge must re-source.
            const sku = SKUS[0]!;
            const here = (await at(sku, 'AMS-1'))!;
            const committed = here.reserved + here.sold;
            const counted = Math.floor(committed / 2);
            const document = documentNo('CNT');
            await post({ type: 'count', document, location: 'AMS-1', sku, qty: counted });
            correction = { sku, location: 'AMS-1', committed, counted, document };
            damaged = documentNo('DMG');
            await post({ type: 'damage', document: damaged, location: 'FRA-2', sku: SKUS[1]!, qty: 3 });
          });
        }
        if (done === 120) {
          then(async () => {
            // Documents posted, and the bridge killed once the edge has counted the first, mid-feed
            // (its cursor may or may not be committed past it: either way each counts once).
            const posted = [];
            for (const sku of SKUS) posted.push((await post({ type: 'receipt', document: documentNo('GR'), location: 'FRA-2', sku, qty: 4 })).movement);
            const first = posted[0]!;
            await waitFor('the first of them counted at the edge', async () => ((await at(first.sku, first.location))?.fed?.sequence ?? 0) >= first.sequence, 60_000, 50);
            await stack.bridge.kill('SIGKILL');
            stack.bridge = await startBridgeProcess(stack.bridgeEnv, BRIDGE_START_MS);
            restarted = true;
          });
        }
      },
    );
    await midSale;
    expect(restarted).toBe(true);
    const c = correction as { sku: string; location: string; committed: number; counted: number; document: string } | null;
    expect(c?.committed ?? 0).toBeGreaterThanOrEqual(2);

    // The warehouse calms down (reconcile reads it); every document fed, every saga at rest.
    await setWmsFaults(wmsUrl(), WMS_ADMIN_KEY, CALM);
    await fed();
    const reserved = bought.filter((b) => b.reserve === 201);
    expect(reserved.length).toBeGreaterThan(BUYERS / 2);
    await waitSettled(SKUS, reserved.length);
    await fed();

    // Every document delivered to the edge again, now that stock has moved on since (a count's
    // delta would take its location below zero by now): counted already, never applied, never refused.
    for (const m of fedMovements(await allMovements(stack.wms))) {
      const again = await deliverMovement(stack.worker.url, stack.bridgeEnv.INTERNAL_SECRET!, m.sku, movementCommand(WAREHOUSE, m));
      expect({ document: m.document, status: again.status, applied: again.body?.applied }).toEqual({ document: m.document, status: 200, applied: false });
    }

    const logs = await logsOf();
    const logged: Logged[] = SKUS.map((sku) => ({ sku, log: logs.get(sku)! }));
    const movements = await allMovements(stack.wms);
    const levels = (await stockLevels(stack.wms)).filter((l) => SKUS.includes(l.sku));
    const resourcing = resourcingsNamed(logged);
    const checks = [locationsNeverOversold(logged), resourcing, feedCountedOnce(logged, WAREHOUSE, movements), levelsAgree(logged, levels)];
    expect(checks.filter((check) => check.violations.length > 0).map((check) => `${check.check}: ${check.violations.slice(0, 8).join('; ')}`)).toEqual([]);
    for (const check of checks) expect(check.checked, check.check).toBeGreaterThan(0);
    // Each document once at the warehouse too (the one posted twice included), none lost.
    expect(new Set(movements.map((m) => m.document)).size).toBe(movements.length);
    expect(movements.filter((m) => m.type !== 'shipment')).toHaveLength(opening.length + 3 + 1 + 1 + 3);

    // The count correction took AMS-1 below what it had committed: an exception, then every
    // affected reservation re-sourced to FRA-2 or released, never silently.
    const logA = logs.get(c!.sku)!;
    const counted = logA.findIndex((e) => e.type === 'StockMoved' && e.data.cause.kind === 'warehouse' && e.data.cause.document === c!.document);
    expect(counted).toBeGreaterThan(0);
    const shortfall = logA.find((e, i) => Math.abs(i - counted) === 1 && e.type === 'StockShortfall');
    expect(shortfall?.data, 'a StockShortfall next to the count').toMatchObject({ location: 'AMS-1', cause: { kind: 'warehouse', document: c!.document, movement: 'count' } });
    expect(resourcing.resourced.length).toBeGreaterThan(0);
    for (const { data } of resourcing.resourced) expect([data.from, data.to].sort()).toEqual(['AMS-1', 'FRA-2']);

    // Every acknowledged reservation once in its log, at the location the buyer was told; every
    // purchase acknowledged is sold, or released for a refund with its reason.
    for (const b of reserved) {
      const log = logs.get(b.sku)!;
      const events = log.filter((e) => e.type === 'StockReserved' && e.data.reservationId === b.reservationId);
      expect(events.map((e) => (e.data as { location?: string }).location), b.reservationId!).toEqual([b.location]);
      const r = foldLedger(log).reservations.get(b.reservationId!)!;
      if (b.action === 'complete' && b.answer === 200) {
        expect(r.status === 'completed' || (r.status === 'released' && r.refundDue && ['stock_shortfall', 'wms_rejected'].includes(r.releaseReason!)), JSON.stringify(r)).toBe(true);
      }
      if (b.action === 'cancel' && b.answer === 200) expect(r.status).toBe('released');
    }

    // The object's counters per location are its log's, and each location names its feed.
    for (const sku of SKUS) {
      const state = foldLedger(logs.get(sku)!).state;
      const { locations } = await view(sku);
      expect(locations?.map(({ location, onHand, reserved: r, sold, fed }) => ({ location, onHand, reserved: r, sold, warehouse: fed?.warehouse }))).toEqual(
        locationsOf(state).map(({ location, onHand, reserved: r, sold }) => ({ location, onHand, reserved: r, sold, warehouse: WAREHOUSE })),
      );
    }

    // Reconcile, as an operator runs it: nothing to repair, in allocations or in stock levels.
    const reconciled = await runCli(['--json', 'reconcile'], cliEnv());
    expect(reconciled.code, reconciled.stdout + reconciled.stderr).toBe(0);
    const report = JSON.parse(reconciled.stdout) as { differences: unknown[]; levels: { warehouse: string; compared: number; differences: unknown[]; repaired: unknown[] }[] };
    expect(report.differences).toEqual([]);
    expect(report.levels.map(({ warehouse, differences }) => ({ warehouse, differences }))).toEqual([{ warehouse: WAREHOUSE, differences: [] }]);
    expect(report.levels[0]!.compared).toBeGreaterThanOrEqual(SKUS.length * LOCATIONS.length);
    // The operator's view of one SKU: a row per location, fed by the warehouse up to its last document there.
    const stock = await runCli(['--json', 'stock', c!.sku], cliEnv());
    expect(stock.code, stock.stderr).toBe(0);
    const lastAt = (location: string) => Math.max(...movements.filter((m) => m.sku === c!.sku && m.location === location).map((m) => m.sequence));
    expect((JSON.parse(stock.stdout) as { locations: { location: string; feed: unknown }[] }).locations.map(({ location, feed }) => ({ location, feed }))).toEqual(
      LOCATIONS.map(({ location }) => ({ location, feed: { warehouse: WAREHOUSE, sequence: lastAt(location) } })),
    );
  });
});
