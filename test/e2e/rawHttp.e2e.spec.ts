import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../../bench/lib/edge';

/**
 * Requests no fetch client can make (fetch refuses a GET with a body), sent raw over HTTP/1.1 to
 * the Worker bundle served by workerd directly (wrangler's dev proxy would drop such a body). The
 * fuzz of the torture run found the first one answering 500.
 */
let worker: RunningEdge;
beforeAll(async () => {
  worker = await startEdge();
});
afterAll(async () => {
  await worker?.close();
});

function raw(method: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(path, worker.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end('{"hello":"world"}');
  });
}

describe('raw HTTP', () => {
  it('a GET or HEAD carrying a chunked body is refused with 400, not a 500', async () => {
    const get = await raw('GET', '/healthz');
    expect(get.status).toBe(400);
    expect(JSON.parse(get.body)).toEqual({ error: { code: 'invalid_request', message: 'a GET request has no body' } });
    expect((await raw('HEAD', '/healthz')).status).toBe(400);
  });
});
