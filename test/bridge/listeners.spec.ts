import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bridge/config';
import { DLQ_TOPIC, EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { MAX_ADMIN_BODY_BYTES } from '../../bridge/http/adminApp';
import { startBridge, type RunningBridge } from '../../bridge/server';

/** The bridge as `startBridge` runs it, on its embedded log, with both listeners on ports of their own. */
const KEY = 'listeners-spec-bridge-admin-key';
const silent = pino({ level: 'silent' });
const run = promisify(execFile);
let dir: string;
let bridge: RunningBridge;

const config = (extra: Record<string, string> = {}) =>
  loadConfig({ INTERNAL_SECRET: 's', BRIDGE_PORT: '0', BRIDGE_ADMIN_PORT: '0', BRIDGE_DATA_DIR: join(dir, 'log'), BRIDGE_ADMIN_KEYS: KEY, SAGA: 'off', FEED: 'off', SNAPSHOTS: 'off', ORDERS: 'off', ...extra });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bridge-listeners-'));
  bridge = await startBridge(config(), silent);
});
afterAll(async () => {
  await bridge?.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (url: string, key?: string) => fetch(url, key ? { headers: { authorization: `Bearer ${key}` } } : {});

describe('two listeners: ingest and /healthz public, everything operators use on the admin one', () => {
  it('the public listener answers 404 for /admin, /metrics and /dashboard, even with the key; /healthz 200 without one', async () => {
    expect(bridge.url).not.toBe(bridge.adminUrl);
    for (const path of ['/admin/status', '/admin/dlq', '/metrics', '/dashboard']) {
      const res = await get(`${bridge.url}${path}`, KEY);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
    }
    expect((await get(`${bridge.url}/healthz`)).status).toBe(200);
    // Ingest is still served there: an unsigned push is refused for its signature, not unrouted.
    expect((await fetch(`${bridge.url}/ingest`, { method: 'POST', body: '{}' })).status).toBe(401);
  });

  it('the admin listener serves /admin (with the key), /metrics, /dashboard and /healthz, and no ingest', async () => {
    expect((await get(`${bridge.adminUrl}/admin/status`)).status).toBe(401);
    expect((await get(`${bridge.adminUrl}/admin/status`, KEY)).status).toBe(200);
    const metrics = await get(`${bridge.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('bridge_http_responses_total');
    expect((await get(`${bridge.adminUrl}/dashboard`)).headers.get('content-type')).toMatch(/^text\/html/);
    expect((await get(`${bridge.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${bridge.adminUrl}/ingest`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('an admin body past the limit: 400 before it is read, whoever sends it', async () => {
    const body = JSON.stringify({ offsets: ['0'], pad: 'x'.repeat(MAX_ADMIN_BODY_BYTES) });
    const res = await fetch(`${bridge.adminUrl}/admin/dlq/requeue`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'invalid_request', message: `body exceeds ${MAX_ADMIN_BODY_BYTES} bytes` } });
  });
});

describe('/admin/dlq in pages', () => {
  it('from/limit page one partition, `next` names the following page, past the maximum is refused; requeue reads page by page', async () => {
    const letters = Array.from({ length: 5 }, (_, i) => ({ key: `SKU-${i}`, value: `undecodable ${i}`, headers: { 'dlq-topic': EVENTS_TOPIC, 'dlq-reason': 'undecodable' } }));
    await bridge.log.append(DLQ_TOPIC, letters);
    const page = async (query: string) => {
      const res = await get(`${bridge.adminUrl}/admin/dlq${query}`, KEY);
      return { status: res.status, body: (await res.json()) as { total: number; records: { offset: string; key: string }[]; next: unknown } };
    };
    const first = await page('?limit=2');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ total: 5, partition: 0, from: '0', next: { partition: 0, from: '2' } });
    expect(first.body.records.map((r) => [r.offset, r.key])).toEqual([['0', 'SKU-0'], ['1', 'SKU-1']]);
    const last = await page('?partition=0&from=4&limit=2');
    expect(last.body.records.map((r) => r.offset)).toEqual(['4']);
    expect(last.body.next).toBeNull();
    // A page ending exactly at the end says so.
    expect((await page('?from=3&limit=2')).body.next).toBeNull();
    expect((await page('?limit=1001')).status).toBe(400);
    expect((await page('?from=abc')).status).toBe(400);
    expect((await page('?partition=7')).body).toMatchObject({ records: [], next: null });

    const requeue = await fetch(`${bridge.adminUrl}/admin/dlq/requeue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ offsets: ['1', '3'] }),
    });
    expect(await requeue.json()).toEqual({ requeued: 2 });
    const requeued = (await bridge.log.readAll(EVENTS_TOPIC)).filter((r) => r.headers?.['dlq-requeued-from']);
    expect(requeued.map((r) => [r.key, r.headers?.['dlq-requeued-from']])).toEqual([['SKU-1', '1'], ['SKU-3', '3']]);
  });
});

describe('beyond loopback: TLS or a declared TLS proxy, and no known or short secret', () => {
  it('the bridge process on 0.0.0.0 over plain HTTP exits 2 before listening, naming the fix', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'bridge/main.ts'], {
      env: { PATH: process.env.PATH, BRIDGE_HOST: '0.0.0.0', BRIDGE_PORT: '0', BRIDGE_ADMIN_PORT: '0', INTERNAL_SECRET: 'x'.repeat(40), BRIDGE_DATA_DIR: join(dir, 'refused') },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toBe(
      'invalid bridge configuration:\n' +
        '  BRIDGE_HOST: 0.0.0.0 is reachable beyond this machine over plain HTTP: set BRIDGE_TLS_CERT and BRIDGE_TLS_KEY (PEM files) to serve HTTPS, or BRIDGE_BEHIND_TLS_PROXY=true if a TLS-terminating proxy is the only way in, or bind 127.0.0.1\n',
    );
  });

  it('with BRIDGE_TLS_CERT/KEY both listeners serve HTTPS', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1']);
    const tls = await startBridge(config({ BRIDGE_TLS_CERT: cert, BRIDGE_TLS_KEY: key, BRIDGE_DATA_DIR: join(dir, 'tls-log') }), silent);
    try {
      expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(tls.adminUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      for (const url of [`${tls.url}/healthz`, `${tls.adminUrl}/metrics`]) expect(await httpsStatus(url)).toBe(200);
    } finally {
      await tls.close();
    }
  });
});

/** A self-signed certificate: trusted for this request only. */
function httpsStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}
