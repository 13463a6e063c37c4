import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RebuildStatus } from '../../bridge/projections/rebuild';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { runCli } from './support/cli';
import { BRIDGE_ADMIN_KEY, freePort, startBridgeProcess, type BridgeProcess } from './support/processes';
import { pool, waitFor } from './support/system';
import { ADMIN_KEY, startWorker, STOREFRONT_KEY } from './support/worker';

/**
 * Two bridge replicas on one real Kafka broker and one Worker: a projection rebuild started on
 * replica A holds the group's one rebuild, so one asked of replica B is refused (409
 * rebuild_running, naming A's rebuild and A), and B's `projections status` shows A's rebuild
 * running, then its result, read from the generations registry (ADR 0006).
 */
const secret = randomBytes(32).toString('hex');
let broker: { brokers: string };
let worker: Awaited<ReturnType<typeof startWorker>>;
let a: BridgeProcess;
let b: BridgeProcess;
const SKUS = Array.from({ length: 6 }, (_, i) => `RBG-${i}`);

beforeAll(async () => {
  broker = await startKafka();
  const ports = [await freePort(), await freePort()];
  worker = await startWorker({ BRIDGE_URL: ports.map((p) => `http://127.0.0.1:${p}`).join(','), INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
  // The relay and the rebuild only: the sagas, snapshots and order view are not what this file is about.
  [a, b] = await Promise.all(
    ports.map((port) =>
      startBridgeProcess({
        BRIDGE_PORT: String(port),
        KAFKA_BROKERS: broker.brokers,
        INTERNAL_SECRET: secret,
        EDGE_URL: worker.url,
        BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEY,
        SAGA: 'off',
        FEED: 'off',
        SNAPSHOTS: 'off',
        ORDERS: 'off',
      }),
    ),
  ) as [BridgeProcess, BridgeProcess];
}, 180_000);

afterAll(async () => {
  await Promise.all([a, b].map((bridge) => bridge?.kill('SIGTERM')));
  await worker?.close();
  if (broker) await stopKafka(broker);
});

const edge = (path: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}, key = STOREFRONT_KEY) =>
  fetch(`${worker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));

const admin = (bridge: BridgeProcess, path: string, method = 'GET', body?: unknown) =>
  fetch(`${bridge.adminUrl}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${BRIDGE_ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));

async function relayed(): Promise<boolean> {
  const statuses = await Promise.all(SKUS.map((sku) => worker.env.SKU.getByName(sku).relayStatus(sku)));
  return statuses.every((s) => s.ok && s.value.pending === 0);
}

/** The rebuild `bridge` shows, once it is no longer running. */
async function ended(bridge: BridgeProcess, id: string): Promise<RebuildStatus> {
  let status!: RebuildStatus;
  await waitFor(`rebuild ${id} to end, as ${bridge.adminUrl} shows it`, async () => {
    status = (await admin(bridge, '/projections')).json.rebuild;
    return status?.id === id && status.state !== 'running';
  }, 120_000, 100);
  return status;
}

describe('one projection rebuild for the group of bridges', () => {
  it('a rebuild running on replica A refuses one asked of replica B, and B shows A’s rebuild running, then its result', async () => {
    for (const sku of SKUS) expect((await edge(`/v1/admin/skus/${sku}/stock`, 'PUT', { onHand: 10_000 }, {}, ADMIN_KEY)).status).toBe(200);
    await pool(
      Array.from({ length: 240 }, (_, i) => () => edge(`/v1/skus/${SKUS[i % SKUS.length]}/reservations`, 'POST', { customerId: `c${i}`, qty: 1 }, { 'idempotency-key': `rbg-${i}` })),
      12,
    );
    await waitFor('the outboxes to drain', relayed);

    const started = await admin(a, '/projections/rebuild', 'POST', { from: 'beginning', graceSeconds: 5 });
    expect(started.status).toBe(202);
    const onA = started.json as RebuildStatus;
    expect(onA).toMatchObject({ state: 'running', endpoint: a.adminUrl, previous: 'g1', generation: 'g2' });

    // B asked while A's rebuild holds the shadow: refused, naming A's rebuild and where it runs.
    const refused = await admin(b, '/projections/rebuild', 'POST', { from: 'beginning' });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({ code: 'rebuild_running', details: { rebuild: onA.id, generation: 'g2', endpoint: a.adminUrl } });
    expect(refused.json.error.details.leaseUntil).toBeGreaterThan(Date.now());
    expect(refused.json.error.message).toContain(`rebuild ${onA.id} (bridge ${a.adminUrl}) is running and holds shadow g2 until`);

    // B knows of it: A's rebuild, running (as last reported to the registry), on A.
    const seenByB = await admin(b, '/projections');
    expect(seenByB.json.rebuild).toMatchObject({ id: onA.id, state: 'running', endpoint: a.adminUrl, generation: 'g2', previous: 'g1', from: 'beginning' });
    expect(seenByB.json.rebuild.leaseUntil).toBeGreaterThan(Date.now());
    expect((await admin(b, '/projections/rebuild')).json.rebuild).toMatchObject({ id: onA.id, state: 'running' });

    // Then its result, the same from both replicas.
    const resultOnB = await ended(b, onA.id);
    const resultOnA = await ended(a, onA.id);
    expect(resultOnB).toMatchObject({ id: onA.id, state: 'switched', phase: 'done', generation: 'g2', endpoint: a.adminUrl, error: null });
    expect(resultOnB.read).toBeGreaterThanOrEqual(240 + SKUS.length);
    expect(resultOnB).toMatchObject({ read: resultOnA.read, replayed: resultOnA.replayed, total: resultOnA.total, finishedAt: resultOnA.finishedAt });
    expect((await admin(b, '/projections')).json.generations).toMatchObject({ active: 'g2', shadow: null });

    // Once it ended, B may start the next one; A then shows B's.
    const next = await admin(b, '/projections/rebuild', 'POST', { from: 'beginning', graceSeconds: 5 });
    expect(next.status).toBe(202);
    expect(next.json).toMatchObject({ endpoint: b.adminUrl, previous: 'g2', generation: 'g3' });
    expect((await admin(a, '/projections/rebuild', 'POST', {})).json.error).toMatchObject({ code: 'rebuild_running', details: { rebuild: next.json.id, endpoint: b.adminUrl } });
    expect(await ended(a, next.json.id)).toMatchObject({ state: 'switched', endpoint: b.adminUrl });
    const { finished } = (await admin(a, '/projections/rebuild')).json;
    expect(finished.map((r: RebuildStatus) => r.id)).toEqual([next.json.id, onA.id]);

    // The CLI asked of A shows the last rebuild, B's, and where it ran.
    const cli = await runCli(['projections', 'status'], { EDGE_URL: worker.url, BRIDGE_ADMIN_URL: a.adminUrl, EDGE_ADMIN_KEY: ADMIN_KEY, BRIDGE_ADMIN_KEY });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(next.json.id);
    expect(cli.stdout).toMatch(new RegExp(`bridge\\s+${b.adminUrl.replace(/[.]/g, '\\.')}`));
  });
});
