import { describe, expect, it } from 'vitest';
import { signatureHeaders } from '../../src/internal/signature';
import { ADMIN, call, createSku, eventsOf, reserve, uniqueSku } from '../support/api';

/** A signed GET as the bridge sends it, with any secret and clock. */
async function signedGet(path: string, secret = 'test-internal-new', now = Date.now()) {
  return call('GET', path, { key: null, headers: await signatureHeaders(secret, { method: 'GET', path, body: '' }, now) });
}

const refused = (reason: string) => ({
  error: { code: 'invalid_signature', message: `internal call refused: signature ${reason}`, details: { reason } },
});

describe('internal event route (bridge gap repair)', () => {
  it('a signed read answers the log page after a version', async () => {
    const sku = uniqueSku('internal');
    await createSku(sku, 10);
    await reserve(sku, { customerId: 'c', qty: 2 }, 'k1');
    await reserve(sku, { customerId: 'd', qty: 1 }, 'k2');
    const log = await eventsOf(sku);
    const res = await signedGet(`/internal/skus/${sku}/events?after=1&limit=1`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ sku, events: [log[1]], lastVersion: 3, nextAfter: 2 });
  });

  it('the older secret of a rotation still verifies', async () => {
    const sku = uniqueSku('internal');
    await createSku(sku, 10);
    const res = await signedGet(`/internal/skus/${sku}/events`, 'test-internal-old');
    expect(res.status).toBe(200);
    expect(res.json.events).toHaveLength(1);
  });

  it('missing, malformed, wrong, expired and replayed signatures → 401, and no bearer key opens it', async () => {
    const sku = uniqueSku('internal');
    await createSku(sku, 10);
    const path = `/internal/skus/${sku}/events`;
    expect(await call('GET', path, { key: ADMIN })).toMatchObject({ status: 401, json: refused('missing') });
    const malformed = { 'x-signature-timestamp': String(Math.floor(Date.now() / 1000)), 'x-signature': 'v1=zz' };
    expect(await call('GET', path, { key: null, headers: malformed })).toMatchObject({ status: 401, json: refused('malformed') });
    expect(await signedGet(path, 'someone-else')).toMatchObject({ status: 401, json: refused('mismatch') });
    expect(await signedGet(path, undefined, Date.now() - 301_000)).toMatchObject({ status: 401, json: refused('expired') });
    // A signature over another path does not open this one.
    const other = await signatureHeaders('test-internal-new', { method: 'GET', path: `${path}?after=0`, body: '' }, Date.now());
    expect(await call('GET', path, { key: null, headers: other })).toMatchObject({ status: 401, json: refused('mismatch') });

    const headers = await signatureHeaders('test-internal-new', { method: 'GET', path, body: '' }, Date.now());
    expect((await call('GET', path, { key: null, headers })).status).toBe(200);
    expect(await call('GET', path, { key: null, headers })).toMatchObject({ status: 401, json: refused('replayed') });
  });

  it('an unknown SKU is 404 and an invalid one 400, once signed', async () => {
    expect((await signedGet(`/internal/skus/${uniqueSku('nobody')}/events`)).json.error.code).toBe('sku_not_found');
    const bad = await signedGet('/internal/skus/-bad/events');
    expect(bad.status).toBe(400);
  });
});

describe('admin relay status', () => {
  it('without a bridge every event waits in the outbox, counted, and nothing is attempted', async () => {
    const sku = uniqueSku('relay');
    const created = await createSku(sku, 10);
    await reserve(sku, { customerId: 'c', qty: 1 }, 'k1');
    const res = await call('GET', `/v1/admin/skus/${sku}/relay`, { key: ADMIN });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      sku,
      lastVersion: 2,
      relayedVersion: 0,
      pending: 2,
      oldestPendingAt: Date.parse(created.asOf),
      attempts: 0,
      nextAttemptAt: null,
      lastError: null,
      lastRelayedAt: null,
    });
  });

  it('is admin only, and 404 for an unknown SKU', async () => {
    const sku = uniqueSku('relay');
    await createSku(sku, 1);
    expect((await call('GET', `/v1/admin/skus/${sku}/relay`)).status).toBe(403);
    expect((await call('GET', `/v1/admin/skus/${uniqueSku('none')}/relay`, { key: ADMIN })).json.error.code).toBe('sku_not_found');
  });
});
