import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEventLog } from '../../bridge/eventLog/embedded';
import { TOPICS } from '../../bridge/eventLog/topics';
import { createBridgeApp } from '../../bridge/http/app';
import { createMetrics } from '../../bridge/metrics';

let dir: string;
let log: EmbeddedEventLog;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bridge-errors-'));
  log = new EmbeddedEventLog(join(dir, 'log'));
  await log.ensureTopics(TOPICS);
});
afterAll(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

/** The bridge with its JSON log lines captured. */
function bridgeLoggingTo(lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));
      done();
    },
  });
  return createBridgeApp({ log, secrets: ['s'], metrics: createMetrics(), logger: pino({ level: 'info' }, sink) });
}

describe('the bridge answers its failures in JSON and logs them once, through pino', () => {
  it('a route that throws: 500 internal with the request id, one error line with the cause and that id', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = bridgeLoggingTo(lines);
    app.get('/admin/boom', () => {
      throw new Error('the WMS client exploded');
    });
    const res = await app.request('/admin/boom', { headers: { 'x-request-id': 'req-42' } });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: { code: 'internal', message: 'the bridge failed (request req-42; its log has the cause)', details: { requestId: 'req-42' } },
    });
    const failures = lines.filter((l) => l.msg === 'request failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 50, requestId: 'req-42', method: 'GET', path: '/admin/boom', err: { message: 'the WMS client exploded' } });
  });

  it('an unknown route: 404 not_found in the same shape', async () => {
    const res = await bridgeLoggingTo([]).request('/nowhere');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });
});
