import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderView } from '../../src/domain/checkout';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { BRIDGE_ADMIN_KEY, freePort, startBridgeProcess, startWmsProcess, WMS_ADMIN_KEY, type BridgeProcess, type ServiceProcess } from './support/processes';
import { pool, waitFor } from './support/system';
import { ADMIN_KEY, startWorker, STOREFRONT_KEY } from './support/worker';

/**
 * Multi-SKU checkouts end to end: the coordinators in workerd relay their logs next to the SKU
 * objects' outboxes, Kafka (four partitions per topic) delivers the two topics in whatever
 * interleaving, and the bridge's order view, joining them in causal order, ends equal to what
 * the edge shows, with nothing held back.
 */
const secret = randomBytes(32).toString('hex');
const SKUS = ['co-A', 'co-B', 'co-C', 'co-D'];
const STOCK = 6;
let broker: { brokers: string };
let worker: Awaited<ReturnType<typeof startWorker>>;
let bridge: BridgeProcess;
let wms: ServiceProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'checkouts-e2e-'));
  broker = await startKafka();
  const [bridgePort, wmsPort] = [await freePort(), await freePort()];
  wms = await startWmsProcess({ WMS_ADMIN_KEYS: WMS_ADMIN_KEY, WMS_PORT: String(wmsPort), WMS_DATA_DIR: join(dataDir, 'wms'), WMS_LATENCY_MS: '1-20' });
  worker = await startWorker({ BRIDGE_URL: `http://127.0.0.1:${bridgePort}`, INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
  bridge = await startBridgeProcess({
    BRIDGE_PORT: String(bridgePort),
    KAFKA_BROKERS: broker.brokers,
    KAFKA_PARTITIONS: '4',
    INTERNAL_SECRET: secret,
    EDGE_URL: worker.url,
    WMS_URL: `http://127.0.0.1:${wmsPort}/wms`,
    BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEY,
  });
});

afterAll(async () => {
  await bridge?.kill('SIGTERM');
  await wms?.kill('SIGTERM');
  await worker?.close();
  if (broker) await stopKafka(broker);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const call = (path: string, method: string, key: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${worker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const bridgeAdmin = (path: string) => fetch(`${bridge.adminUrl}/admin${path}`, { headers: { authorization: `Bearer ${BRIDGE_ADMIN_KEY}` } });

type EdgeLine = { sku: string; qty: number; state: string; reservationId: string | null; reservation: { status: string; allocation: string; releaseReason: string | null } | null };
type EdgeCheckout = { checkoutId: string; customerId: string; status: string; version: number; lines: EdgeLine[] };

/** The edge's answer in the order view's shape: what the joined view must converge to. */
const asOrder = (c: EdgeCheckout): OrderView => ({
  checkoutId: c.checkoutId,
  customerId: c.customerId,
  status: c.status as OrderView['status'],
  version: c.version,
  lines: c.lines.map((l) => ({
    sku: l.sku,
    qty: l.qty,
    state: l.state as OrderView['lines'][number]['state'],
    reservationId: l.reservationId,
    purchase: (l.reservation?.status ?? null) as OrderView['lines'][number]['purchase'],
    allocation: (l.reservation?.allocation ?? null) as OrderView['lines'][number]['allocation'],
    releaseReason: (l.reservation?.releaseReason ?? null) as OrderView['lines'][number]['releaseReason'],
  })),
});

const edgeCheckout = async (id: string, customerId: string): Promise<EdgeCheckout> =>
  (await (await call(`/v1/checkouts/${id}?customerId=${customerId}`, 'GET', STOREFRONT_KEY)).json()) as EdgeCheckout;

describe('checkouts joined downstream in causal order', () => {
  it('overlapping checkouts on scarce stock: all-or-nothing at the edge; the order view in the bridge converges to it', async () => {
    for (const sku of SKUS) expect((await call(`/v1/admin/skus/${sku}/stock`, 'PUT', ADMIN_KEY, { onHand: STOCK })).status).toBe(200);
    // 30 carts of two or three overlapping SKUs: far more demand than the 24 units.
    const carts = Array.from({ length: 30 }, (_, i) => ({
      customerId: `buyer-${i}`,
      lines: [SKUS[i % 4]!, SKUS[(i + 1) % 4]!, ...(i % 3 === 0 ? [SKUS[(i + 2) % 4]!] : [])].map((sku, j) => ({ sku, qty: 1 + ((i + j) % 2) })),
    }));
    const answers = await pool(
      carts.map((cart, i) => async () => {
        const res = await call('/v1/checkouts', 'POST', STOREFRONT_KEY, cart, { 'idempotency-key': `co-${i}` });
        const body = (await res.json()) as { checkoutId?: string; error?: { details?: { checkoutId?: string } } };
        return { status: res.status, id: body.checkoutId ?? body.error?.details?.checkoutId ?? '', customerId: cart.customerId };
      }),
      15,
    );
    expect(answers.every((a) => a.status === 201 || a.status === 409)).toBe(true);
    const won = answers.filter((a) => a.status === 201);
    expect(won.length).toBeGreaterThan(0);
    expect(won.length).toBeLessThan(carts.length);

    // All or nothing, and no unit held by a failed checkout: held units equal the winners' lines.
    const held = new Map<string, number>();
    for (const a of answers) {
      const c = await edgeCheckout(a.id, a.customerId);
      if (a.status === 201) {
        expect(c.status).toBe('reserved');
        expect(c.lines.every((l) => l.state === 'held' && l.reservation?.status === 'held')).toBe(true);
        for (const l of c.lines) held.set(l.sku, (held.get(l.sku) ?? 0) + l.qty);
      } else {
        expect(c.status).toBe('failed');
        expect(c.lines.some((l) => l.state === 'held' || l.reservation?.status === 'held')).toBe(false);
      }
    }
    for (const sku of SKUS) {
      const counters = (await (await call(`/v1/skus/${sku}?consistent=true`, 'GET', STOREFRONT_KEY)).json()) as { reserved: number; sold: number };
      expect(counters.reserved).toBe(held.get(sku) ?? 0);
      expect(counters.reserved + counters.sold).toBeLessThanOrEqual(STOCK);
    }

    // Half the winners pay, the others cancel: both fan out to every line.
    await Promise.all(
      won.map((a, i) =>
        i % 2 === 0
          ? call(`/v1/checkouts/${a.id}/complete`, 'POST', STOREFRONT_KEY, { customerId: a.customerId })
          : call(`/v1/checkouts/${a.id}?customerId=${a.customerId}`, 'DELETE', STOREFRONT_KEY),
      ),
    );

    // Downstream: the joined view of every checkout reaches what the edge shows (allocations included).
    await waitFor('the order view to equal the edge for every checkout', async () => {
      for (const a of answers) {
        const res = await bridgeAdmin(`/checkouts/${a.id}`);
        if (res.status !== 200) return false;
        const expected = asOrder(await edgeCheckout(a.id, a.customerId));
        if (expected.lines.some((l) => l.purchase === 'completed' && l.allocation === 'pending')) return false;
        if (JSON.stringify(await res.json()) !== JSON.stringify(expected)) return false;
      }
      return true;
    }, 90_000, 500);

    const status = (await (await bridgeAdmin('/status')).json()) as { causal: { held: number; alerting: boolean } };
    expect(status.causal).toMatchObject({ held: 0, alerting: false });
    const metrics = await (await fetch(`${bridge.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/bridge_causal_held_events\{consumer="orders"\} 0/);
    expect(Number(/bridge_checkout_events_relayed_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(carts.length * 2);
    expect((await bridgeAdmin('/checkouts/chk_00000000000000000000000000000000')).status).toBe(404);
  });
});
