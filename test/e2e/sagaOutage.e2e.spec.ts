import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AllocationSaga } from '../../src/domain/allocation';
import type { Reservation } from '../../src/domain/sku';
import type { WmsRecord } from '../../bridge/wms/client';
import { runCli } from './support/cli';
import { BRIDGE_ADMIN_KEY, startBridgeProcess, WMS_ADMIN_KEY } from './support/processes';
import { sagaSystem, startSagaStack, type SagaStack } from './support/sagaSystem';
import { pool, reservationsOf, waitFor } from './support/system';
import { ADMIN_KEY, STOREFRONT_KEY } from './support/worker';

/**
 * Invariant no-sale-undone-by-our-outage (docs/architecture.md), with real processes: the Worker in workerd, the
 * bridge on a real Kafka broker, the SOAP warehouse simulator. The allocation deadline is short
 * (2 s) so that outages many times longer than it fit in a test.
 */
const DEADLINE_SECONDS = 2;
let stack: SagaStack;

beforeAll(async () => {
  stack = await startSagaStack(
    'saga-outage-e2e',
    { WMS_LATENCY_MS: '2-10' },
    {
      // The WMS is up whenever the test says so: a call that times out is the loaded machine, not
      // the WMS, and would compensate a hold that the test expects allocated.
      WMS_CALL_TIMEOUT_MS: '1000',
      ALLOCATION_DEADLINE_SECONDS: String(DEADLINE_SECONDS),
      SAGA_RETENTION_SECONDS: '3600',
    },
  );
});

afterAll(async () => stack?.stop());

const { edge, setStock } = sagaSystem({ worker: () => stack.worker, bridgeUrl: () => stack.bridge.adminUrl, wms: () => stack.wms });

/** A buyer reserves one unit and, if `buys`, completes the purchase at once. */
async function buyer(sku: string, customerId: string, buys: boolean): Promise<{ sku: string; id: string; completed: boolean }> {
  const res = await edge(`/v1/skus/${sku}/reservations`, 'POST', STOREFRONT_KEY, { customerId, qty: 1 }, { 'idempotency-key': `${sku}-${customerId}` });
  expect(res.status).toBe(201);
  const { reservationId } = (await res.json()) as { reservationId: string };
  if (buys) {
    const done = await edge(`/v1/skus/${sku}/reservations/${reservationId}/complete`, 'POST', STOREFRONT_KEY, { customerId });
    expect(done.status).toBe(200);
    await done.body?.cancel();
  }
  return { sku, id: reservationId, completed: buys };
}

const admin = (path: string) => fetch(`${stack.bridge.adminUrl}${path}`, { headers: { authorization: `Bearer ${BRIDGE_ADMIN_KEY}` } });

async function sagas(query: string): Promise<AllocationSaga[]> {
  return ((await (await admin(`/admin/sagas?limit=100000&${query}`)).json()) as { sagas: AllocationSaga[] }).sagas;
}

async function wmsRecords(): Promise<Map<string, WmsRecord>> {
  return new Map((await stack.wms.list(5_000)).map((r) => [r.reservationId, r]));
}

const allOf = async (skus: string[]): Promise<Reservation[]> => (await Promise.all(skus.map((sku) => reservationsOf(stack.worker.env.SKU, sku)))).flat();

async function wmsOutage(forMs: number) {
  const res = await fetch(`${stack.wmsProcess.url}/admin/outage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${WMS_ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ forMs }),
  });
  expect(res.status).toBe(200);
}

describe('no-sale-undone-by-our-outage: no sale undone by our own outage', () => {
  it('the bridge SIGKILLed for 5× the deadline while buyers reserve and complete: after it returns nothing is released as wms_timeout, every purchase is allocated at the WMS', async () => {
    const skus = ['OUT-BRIDGE-A', 'OUT-BRIDGE-B', 'OUT-BRIDGE-C'];
    for (const sku of skus) await setStock(sku, 100);
    await stack.bridge.kill('SIGKILL');
    const down = Date.now();
    // Two buyers in three complete; the others keep their hold (TTL 300 s: none lapses here).
    const bought = await pool(Array.from({ length: 60 }, (_, i) => () => buyer(skus[i % 3]!, `b-${i}`, i % 3 !== 2)), 8);
    await new Promise((r) => setTimeout(r, Math.max(0, down + 5 * DEADLINE_SECONDS * 1000 - Date.now())));
    const back = Date.now();
    stack.bridge = await startBridgeProcess(stack.bridgeEnv);

    await waitFor(
      'every reservation allocated on both sides, its saga at rest',
      async () => {
        const reservations = await allOf(skus);
        const atRest = new Map((await sagas('phase=allocated')).map((s) => [s.reservationId, s]));
        return reservations.length === 60 && reservations.every((r) => r.status === 'released' || (r.allocation === 'allocated' && atRest.has(r.reservationId)));
      },
      60_000,
      500,
    );
    const reservations = await allOf(skus);
    const released = reservations.filter((r) => r.status === 'released');
    // Say why: the saga's last error and notes name the call that failed.
    if (released.length > 0) console.error(JSON.stringify(await Promise.all(released.slice(0, 3).map(async (r) => (await admin(`/admin/sagas/${r.reservationId}`)).json())), null, 1), stack.bridge.output().slice(-3000));
    expect(released).toEqual([]);
    const records = await wmsRecords();
    for (const { id, sku, completed } of bought) {
      const r = reservations.find((x) => x.reservationId === id)!;
      expect(r.status, id).toBe(completed ? 'completed' : 'held');
      expect(records.get(id), id).toMatchObject({ status: 'allocated', sku, qty: 1, allocationId: r.allocationId });
    }
    // Reserved during the outage (the first ones more than 4× the deadline before the bridge came
    // back), first attempted after it: the deadline counted from that attempt.
    const all = (await Promise.all(skus.map((sku) => sagas(`sku=${sku}`)))).flat();
    expect(all).toHaveLength(60);
    expect(Math.min(...all.map((s) => s.startedAt))).toBeLessThan(back - 4 * DEADLINE_SECONDS * 1000);
    for (const saga of all) {
      expect(saga.startedAt).toBeLessThan(back);
      expect(saga.firstAttemptAt).toBeGreaterThanOrEqual(back);
      expect(saga.deadline).toBe(saga.firstAttemptAt! + DEADLINE_SECONDS * 1000);
    }
  });

  it('the WMS unreachable for 4× the deadline: completed purchases turn overdue (shown, retried) and are allocated once it is back; held ones are compensated as today; an operator can release one', async () => {
    const skus = ['OUT-WMS-A'];
    await setStock(skus[0]!, 100);
    const outageMs = 4 * DEADLINE_SECONDS * 1000;
    await wmsOutage(outageMs);
    const started = Date.now();
    const bought = await pool(Array.from({ length: 9 }, (_, i) => () => buyer(skus[0]!, `w-${i}`, i % 3 !== 2)), 3);
    const completed = bought.filter((b) => b.completed).map((b) => b.id).sort();
    const held = bought.filter((b) => !b.completed).map((b) => b.id).sort();

    // Past the deadline, while the WMS is still down: the purchases are overdue, for everyone to see.
    await waitFor('the completed purchases overdue', async () => (await sagas('phase=overdue')).length === completed.length, outageMs, 200);
    expect(Date.now() - started).toBeLessThan(outageMs);
    expect((await sagas('phase=overdue')).map((s) => s.reservationId).sort()).toEqual(completed);
    expect(await (await fetch(`${stack.bridge.adminUrl}/metrics`)).text()).toMatch(new RegExp(`^bridge_sagas\\{phase="overdue"\\} ${completed.length}$`, 'm'));
    const cliEnv = { EDGE_URL: stack.worker.url, BRIDGE_ADMIN_URL: stack.bridge.adminUrl, WMS_URL: `${stack.wmsProcess.url}/wms`, EDGE_ADMIN_KEY: ADMIN_KEY, BRIDGE_ADMIN_KEY, WMS_ADMIN_KEY };
    const listed = await runCli(['sagas', 'list', '--phase', 'overdue'], cliEnv);
    expect(listed.code).toBe(0);
    for (const id of completed) expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+${skus[0]}\\s+1\\s+overdue\\s`, 'm'));

    await waitFor(
      'the purchases allocated, the holds released and cancelled at the WMS',
      async () => {
        const reservations = await allOf(skus);
        const done = new Set((await sagas('phase=done')).map((s) => s.reservationId));
        const allocated = new Set((await sagas('phase=allocated')).map((s) => s.reservationId));
        return reservations.every((r) => (r.status === 'completed' ? r.allocation === 'allocated' && allocated.has(r.reservationId) : r.status === 'released' && done.has(r.reservationId)));
      },
      60_000,
      500,
    );
    const reservations = await allOf(skus);
    const records = await wmsRecords();
    for (const id of completed) {
      const r = reservations.find((x) => x.reservationId === id)!;
      expect(r).toMatchObject({ status: 'completed', allocation: 'allocated', releaseReason: null, refundDue: false });
      expect(records.get(id)).toMatchObject({ status: 'allocated', allocationId: r.allocationId });
    }
    for (const id of held) {
      expect(reservations.find((x) => x.reservationId === id)).toMatchObject({ status: 'released', releaseReason: 'wms_timeout', refundDue: false });
      expect(records.get(id)?.status ?? 'none').not.toBe('allocated');
    }

    // The operator's deliberate decision: released (refund due), and cancelled at the WMS by the saga.
    const chosen = completed[0]!;
    const released = await runCli(['sagas', 'release', chosen], cliEnv);
    expect(released.code).toBe(0);
    expect(released.stdout).toBe(`released ${chosen} (${skus[0]}) as admin, refund due; the saga cancels it at the WMS\n`);
    await waitFor('the cancel at the WMS', async () => (await wmsRecords()).get(chosen)?.status === 'cancelled', 30_000, 300);
    expect((await allOf(skus)).find((r) => r.reservationId === chosen)).toMatchObject({ status: 'released', releaseReason: 'admin', refundDue: true });
  });
});
