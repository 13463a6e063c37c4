import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridgeProcess, WMS_ADMIN_KEY } from './support/processes';
import { names, sagaSystem, startSagaStack, type SagaStack } from './support/sagaSystem';
import { pool, reservationsOf, waitFor } from './support/system';

/**
 * The WMS saga for real: the Worker in workerd, the bridge process on a real Kafka broker, and the
 * SOAP warehouse simulator with faults. Whatever the warehouse does, every reservation ends
 * allocated on both sides or released with a reason and nothing held at the warehouse.
 */
const DEADLINE_SECONDS = 4;
let stack: SagaStack;

beforeAll(async () => {
  stack = await startSagaStack(
    'saga-e2e',
    { WMS_LATENCY_MS: '5-40', WMS_TIMEOUT_RATE: '0.2', WMS_FAULT_RATE: '0.05', WMS_DUPLICATE_RATE: '0.1', WMS_LATE_RATE: '0.05', WMS_LATE_MS: '1500' },
    {
      WMS_CALL_TIMEOUT_MS: '400',
      ALLOCATION_DEADLINE_SECONDS: String(DEADLINE_SECONDS),
      // The checks read every saga's end state from the admin API: none may be retired meanwhile
      // (by default a finished saga goes after 60 s, and 2,000 faulty sagas take longer to settle).
      SAGA_RETENTION_SECONDS: '3600',
    },
  );
});

afterAll(async () => stack?.stop());

const { setStock, reserve, cancel, waitSettled, expectAgreement } = sagaSystem({ worker: () => stack.worker, bridgeUrl: () => stack.bridge.adminUrl, wms: () => stack.wms });

describe('WMS saga over real SOAP and Kafka', () => {
  it('with 20% timeouts, 5% faults, duplicate and late replies: 2,000 reservations all end allocated or released, and the WMS agrees', async () => {
    const skus = names('SAGA-A', 10);
    for (const sku of skus) await setStock(sku, 250);
    // One SKU the warehouse has little of: some allocations are rejected there.
    const scarce = skus[0]!;
    expect((await fetch(`${stack.wmsProcess.url}/admin/stock/${scarce}`, { method: 'PUT', headers: { authorization: `Bearer ${WMS_ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ qty: 150 }) })).status).toBe(200);

    const ids = await pool(
      Array.from({ length: 2000 }, (_, i) => async () => {
        const sku = skus[i % 10]!;
        const id = await reserve(sku, `buyer-${i}`);
        // Some buyers change their mind while the saga runs.
        if (i % 10 === 3) await cancel(sku, id, `buyer-${i}`);
        return id;
      }),
      24,
    );
    expect(new Set(ids).size).toBe(2000);
    await waitSettled(skus, 2000);
    await expectAgreement(skus);

    const all = (await Promise.all(skus.map((sku) => reservationsOf(stack.worker.env.SKU, sku)))).flat();
    const reasons = new Set(all.filter((r) => r.status === 'released').map((r) => r.releaseReason));
    expect(reasons.has('cancelled')).toBe(true);
    expect(reasons.has('wms_rejected')).toBe(true);
    // The warehouse never gave out more than it had of the scarce SKU.
    const scarceAllocated = (await reservationsOf(stack.worker.env.SKU, scarce)).filter((r) => r.status !== 'released' && r.allocation === 'allocated');
    expect(scarceAllocated.reduce((units, r) => units + r.qty, 0)).toBeLessThanOrEqual(150);
  });

  it('bridge SIGKILLed in the middle of the sagas and restarted: the same end state', async () => {
    const skus = names('SAGA-K', 4);
    for (const sku of skus) await setStock(sku, 200);
    const restarts: Promise<void>[] = [];
    await pool(
      Array.from({ length: 600 }, (_, i) => () => reserve(skus[i % 4]!, `k-${i}`)),
      16,
      (done) => {
        if (done === 300) restarts.push(restartBridge());
      },
    );
    await Promise.all(restarts);
    await waitSettled(skus, 600);
    await expectAgreement(skus);
  });

  it('a WMS outage longer than the deadline: releases with wms_timeout; once it is back, nothing is held there', async () => {
    const sku = 'SAGA-OUT-1';
    await setStock(sku, 100);
    const outage = (DEADLINE_SECONDS + 3) * 1000;
    expect((await fetch(`${stack.wmsProcess.url}/admin/outage`, { method: 'POST', headers: { authorization: `Bearer ${WMS_ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ forMs: outage }) })).status).toBe(200);
    const started = Date.now();
    await pool(Array.from({ length: 30 }, (_, i) => () => reserve(sku, `o-${i}`)), 6);
    await waitFor('the releases', async () => (await reservationsOf(stack.worker.env.SKU, sku)).every((r) => r.status === 'released'), 60_000, 500);
    expect(Date.now() - started).toBeLessThan(outage);
    const reservations = await reservationsOf(stack.worker.env.SKU, sku);
    expect(reservations.map((r) => r.releaseReason)).toEqual(reservations.map(() => 'wms_timeout'));
    await waitSettled([sku], 30, 60_000);
    await expectAgreement([sku]);
  });
});

async function restartBridge(): Promise<void> {
  await stack.bridge.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  stack.bridge = await startBridgeProcess(stack.bridgeEnv);
}
