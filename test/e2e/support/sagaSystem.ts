import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { AllocationSaga } from '../../../src/domain/allocation';
import type { Reservation } from '../../../src/domain/sku';
import { createWmsClient, type WmsClient, type WmsRecord } from '../../../bridge/wms/client';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../../../scripts/kafka.mjs';
import { BRIDGE_ADMIN_KEY, freePort, startBridgeProcess, startWmsProcess, WMS_ADMIN_KEY, type BridgeProcess, type ServiceProcess } from './processes';
import { objectLog, reservationsOf, waitFor } from './system';
import { ADMIN_KEY, startWorker, STOREFRONT_KEY, type SkuNamespace } from './worker';

export type SagaSystem = {
  worker: () => { url: string; env: { SKU: SkuNamespace } };
  /** A bridge's admin listener to ask (any replica of a group: it answers for the whole group). */
  bridgeUrl: () => string;
  wms: () => WmsClient;
};

/**
 * The storefront and operator moves of the saga end-to-end specs, and the checks they end with:
 * every reservation allocated or released with its saga at rest, and the warehouse holding
 * exactly what the SKU objects consider allocated.
 */
export function sagaSystem(system: SagaSystem) {
  const edge = (path: string, method: string, key: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${system.worker().url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const skus = () => system.worker().env.SKU;

  async function setStock(sku: string, onHand: number) {
    expect((await edge(`/v1/admin/skus/${sku}/stock`, 'PUT', ADMIN_KEY, { onHand })).status).toBe(200);
  }

  async function reserve(sku: string, customerId: string, qty = 1): Promise<string> {
    const res = await edge(`/v1/skus/${sku}/reservations`, 'POST', STOREFRONT_KEY, { customerId, qty }, { 'idempotency-key': `${sku}-${customerId}` });
    const body = (await res.json()) as { reservationId: string };
    expect(res.status).toBe(201);
    return body.reservationId;
  }

  async function cancel(sku: string, id: string, customerId: string) {
    const res = await edge(`/v1/skus/${sku}/reservations/${id}?customerId=${customerId}`, 'DELETE', STOREFRONT_KEY);
    await res.body?.cancel();
  }

  async function complete(sku: string, id: string, customerId: string) {
    const res = await edge(`/v1/skus/${sku}/reservations/${id}/complete`, 'POST', STOREFRONT_KEY, { customerId }, { 'idempotency-key': `complete-${id}` });
    await res.body?.cancel();
    return res.status;
  }

  /** A group answers 503 while it rebalances: asked again. */
  async function sagas(sku: string): Promise<AllocationSaga[]> {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${system.bridgeUrl()}/admin/sagas?sku=${sku}&limit=100000`, { headers: { authorization: `Bearer ${BRIDGE_ADMIN_KEY}` } }).catch(() => null);
      if (res?.ok) return ((await res.json()) as { sagas: AllocationSaga[] }).sagas;
      await res?.body?.cancel();
      if (attempt === 60) throw new Error(`the bridge did not list the sagas of ${sku} (${res?.status ?? 'no answer'})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  const settled = (r: Reservation) => r.status === 'released' || r.allocation === 'allocated';

  /** Waits until every reservation of the SKUs is allocated or released and every saga is at rest. */
  async function waitSettled(names: string[], expected: number, timeoutMs = 240_000) {
    const unsettled = async () => {
      const reservations = (await Promise.all(names.map((sku) => reservationsOf(skus(), sku)))).flat();
      const bySaga = new Map((await Promise.all(names.map(sagas))).flat().map((s) => [s.reservationId, s]));
      // A release the saga has not consumed yet (a buyer cancel right after the confirmation) is not settled.
      const atRest = (r: Reservation) => {
        const saga = bySaga.get(r.reservationId);
        return r.status === 'released' ? saga?.phase === 'done' && saga.releasedAs !== null : saga?.phase === 'allocated';
      };
      return { count: reservations.length, left: reservations.filter((r) => !settled(r) || !atRest(r)).map((r) => ({ reservation: r, saga: bySaga.get(r.reservationId) })) };
    };
    try {
      await waitFor(
        'every reservation allocated or released, and its saga at rest having seen the same',
        async () => {
          const { count, left } = await unsettled();
          return count === expected && left.length === 0;
        },
        timeoutMs,
        500,
      );
    } catch (error) {
      // Say which ones and where their sagas stand: a stuck saga is otherwise a bare timeout.
      const { count, left } = await unsettled();
      console.error(JSON.stringify({ reservations: count, expected, unsettled: left.length, first: left.slice(0, 5) }, null, 1));
      throw error;
    }
  }

  /** The invariant that matters: the warehouse holds exactly what the SKU objects consider allocated, once per reservation. */
  async function expectAgreement(names: string[]) {
    const listed = await listDespiteFaults();
    const records = new Map<string, WmsRecord>(listed.map((r) => [r.reservationId, r]));
    // Never two live allocations for one reservation at the warehouse.
    const live = listed.filter((r) => r.status === 'allocated').map((r) => r.reservationId);
    expect(new Set(live).size).toBe(live.length);
    for (const sku of names) {
      const log = await objectLog(skus(), sku);
      // Never rewritten: versions are 1..n without a hole.
      expect(log.map((e) => e.version)).toEqual(log.map((_, i) => i + 1));
      const confirmations = log.filter((e) => e.type === 'AllocationConfirmed').map((e) => (e.data as { reservationId: string }).reservationId);
      expect(new Set(confirmations).size).toBe(confirmations.length);
      for (const r of await reservationsOf(skus(), sku)) {
        const record = records.get(r.reservationId);
        if (r.status !== 'released' && r.allocation === 'allocated') {
          expect(record, r.reservationId).toMatchObject({ status: 'allocated', allocationId: r.allocationId, sku, qty: r.qty });
        } else {
          expect(r.status, r.reservationId).toBe('released');
          if (record?.status === 'allocated') {
            // Everything about it, to tell which path left the warehouse holding it.
            const saga = await fetch(`${system.bridgeUrl()}/admin/sagas/${r.reservationId}`, { headers: { authorization: `Bearer ${BRIDGE_ADMIN_KEY}` } }).then((x) => x.json());
            console.error(JSON.stringify({ reservation: r, record, saga }, null, 1));
          }
          expect(record?.status ?? 'none', r.reservationId).not.toBe('allocated');
        }
      }
    }
  }

  /** The simulator's faults hit every operation, ListAllocations too: ask again until it answers. */
  async function listDespiteFaults(): Promise<WmsRecord[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await system.wms().list(5_000);
      } catch (error) {
        if (attempt === 20) throw error;
      }
    }
  }

  return { edge, setStock, reserve, cancel, complete, sagas, waitSettled, expectAgreement };
}

export const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

export type SagaStack = {
  worker: Awaited<ReturnType<typeof startWorker>>;
  wmsProcess: ServiceProcess;
  wms: WmsClient;
  /** The bridge's environment, to start it again after a kill. */
  bridgeEnv: Record<string, string>;
  bridge: BridgeProcess;
  stop(): Promise<void>;
};

/**
 * The whole system the saga specs run: a real Kafka broker, the SOAP warehouse simulator (with
 * `wmsEnv`'s faults), the Worker in workerd and one bridge process (with `bridgeEnv`'s settings,
 * or those made from the simulator's SOAP URL: a WAREHOUSES list names it).
 */
export async function startSagaStack(
  name: string,
  wmsEnv: Record<string, string>,
  bridgeEnv: Record<string, string> | ((wmsUrl: string) => Record<string, string>),
  bridgeStartMs = 60_000,
): Promise<SagaStack> {
  const secret = randomBytes(32).toString('hex');
  const dataDir = await mkdtemp(join(tmpdir(), `${name}-`));
  // What is up so far, stopped if a later part does not come up: no broker or simulator left behind.
  const started: (() => Promise<void>)[] = [() => rm(dataDir, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const stop of started.reverse()) await stop();
  };
  try {
    const broker = (await startKafka()) as { brokers: string };
    started.push(() => stopKafka(broker));
    const [bridgePort, wmsPort] = [await freePort(), await freePort()];
    const wmsProcess = await startWmsProcess({ WMS_ADMIN_KEYS: WMS_ADMIN_KEY, WMS_PORT: String(wmsPort), WMS_DATA_DIR: join(dataDir, 'wms'), ...wmsEnv });
    started.push(() => wmsProcess.kill('SIGTERM'));
    const wmsUrl = `http://127.0.0.1:${wmsPort}/wms`;
    const worker = await startWorker({ BRIDGE_URL: `http://127.0.0.1:${bridgePort}`, INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
    started.push(() => worker.close());
    const env = {
      BRIDGE_PORT: String(bridgePort),
      KAFKA_BROKERS: broker.brokers,
      INTERNAL_SECRET: secret,
      EDGE_URL: worker.url,
      WMS_URL: wmsUrl,
      BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEY,
      ...(typeof bridgeEnv === 'function' ? bridgeEnv(wmsUrl) : bridgeEnv),
    };
    const stack: SagaStack = {
      worker,
      wmsProcess,
      wms: await createWmsClient(wmsUrl),
      bridgeEnv: env,
      bridge: await startBridgeProcess(env, bridgeStartMs),
      stop: async () => {
        await stack.bridge.kill('SIGTERM');
        await stopAll();
      },
    };
    return stack;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
