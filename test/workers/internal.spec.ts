import { describe, expect, it } from 'vitest';
import { signatureHeaders } from '../../src/contract/signature';
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
    const malformed = { 'x-signature-timestamp': String(Math.floor(Date.now() / 1000)), 'x-signature-nonce': 'ab'.repeat(12), 'x-signature': 'v1=zz' };
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

/** A signed POST as the saga sends it; each call signs anew (a later second, so never a replay). */
async function signedPost(path: string, body: unknown) {
  const raw = JSON.stringify(body);
  const headers = await signatureHeaders('test-internal-new', { method: 'POST', path, body: raw }, Date.now());
  return call('POST', path, { key: null, rawBody: raw, headers: { ...headers, 'content-type': 'application/json' } });
}

describe('internal allocation route (WMS saga)', () => {
  async function held(qty = 2) {
    const sku = uniqueSku('alloc');
    await createSku(sku, 10);
    const { json } = await reserve(sku, { customerId: 'c', qty }, `k-${sku}`);
    return { sku, id: json.reservationId as string, path: `/internal/skus/${sku}/reservations/${json.reservationId}/allocation` };
  }

  it('a confirmation names the warehouse reference: AllocationConfirmed carries it, and so does the release of those units', async () => {
    const { sku, id, path } = await held();
    expect((await signedPost(path, { outcome: 'confirmed', allocationId: 'alloc_r', reference: `${id}@AMS-1~2` })).status).toBe(200);
    const released = await call('POST', `/v1/admin/skus/${sku}/reservations/${id}/release`, { key: ADMIN, body: {} });
    expect(released.status).toBe(200);
    const events = await eventsOf(sku);
    expect(events.slice(2).map((e) => [e.type, e.data.reference])).toEqual([['AllocationConfirmed', `${id}@AMS-1~2`], ['StockReleased', `${id}@AMS-1~2`]]);
  });

  it('confirmed → allocated with the WMS id, idempotently, caused by the reservation', async () => {
    const { sku, path } = await held();
    const first = await signedPost(path, { outcome: 'confirmed', allocationId: 'alloc_1', causedBy: { 'saga:x': 1 } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ allocation: 'allocated', status: 'held', version: 3 });
    const again = await signedPost(path, { outcome: 'confirmed', allocationId: 'alloc_1' });
    expect(again.status).toBe(200);
    expect(again.json.version).toBe(3);
    const events = await eventsOf(sku);
    expect(events.map((e) => e.type)).toEqual(['StockSet', 'StockReserved', 'AllocationConfirmed']);
    expect(events[2].causedBy).toEqual({ [`sku:${sku}`]: 2, 'saga:x': 1 });
  });

  it('a verdict naming the location its saga allocated at: taken there, refused (400, nothing recorded) about another (ADR 0015)', async () => {
    const { sku, path } = await held();
    const elsewhere = await signedPost(path, { outcome: 'confirmed', allocationId: 'alloc_x', location: 'AMS-1' });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.json.error).toMatchObject({ code: 'invalid_command', message: 'the reservation was re-sourced to default: a verdict about an allocation at AMS-1 is not its' });
    expect((await signedPost(path, { outcome: 'failed', reason: 'wms_rejected', location: 'AMS-1' })).status).toBe(400);
    const here = await signedPost(path, { outcome: 'confirmed', allocationId: 'alloc_1', location: 'default' });
    expect(here.json).toMatchObject({ allocation: 'allocated', status: 'held' });
    expect((await eventsOf(sku)).map((e) => e.type)).toEqual(['StockSet', 'StockReserved', 'AllocationConfirmed']);
  });

  it('failed → released with the WMS reason, units back; a later failure is idempotent', async () => {
    const { sku, path } = await held(3);
    const res = await signedPost(path, { outcome: 'failed', reason: 'wms_timeout' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'released', allocation: 'failed' });
    expect((await signedPost(path, { outcome: 'failed', reason: 'wms_rejected' })).json.version).toBe(3);
    const events = await eventsOf(sku);
    expect(events.at(-1)).toMatchObject({ type: 'StockReleased', data: { qty: 3, reason: 'wms_timeout' } });
  });

  it('confirm after a release → 409 reservation_released with its reason; failure after a confirm → 409 allocation_conflict', async () => {
    const released = await held();
    await signedPost(released.path, { outcome: 'failed', reason: 'wms_rejected' });
    const late = await signedPost(released.path, { outcome: 'confirmed', allocationId: 'alloc_late' });
    expect(late.status).toBe(409);
    expect(late.json.error).toEqual({ code: 'reservation_released', message: 'the reservation was released (wms_rejected)', details: { reason: 'wms_rejected' } });

    const confirmed = await held();
    await signedPost(confirmed.path, { outcome: 'confirmed', allocationId: 'alloc_a' });
    const conflict = await signedPost(confirmed.path, { outcome: 'failed', reason: 'wms_timeout' });
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe('allocation_conflict');
  });

  it('a completed purchase: wms_timeout → 409 reservation_completed and nothing appended (invariant no-sale-undone-by-our-outage); wms_rejected → released with refundDue', async () => {
    const { sku, id, path } = await held(2);
    expect((await call('POST', `/v1/skus/${sku}/reservations/${id}/complete`, { body: { customerId: 'c' } })).status).toBe(200);
    const before = await eventsOf(sku);
    const kept = await signedPost(path, { outcome: 'failed', reason: 'wms_timeout' });
    expect(kept.status).toBe(409);
    expect(kept.json).toEqual({ error: { code: 'reservation_completed', message: 'the purchase was completed and cannot be cancelled' } });
    expect(await eventsOf(sku)).toEqual(before);
    const refused = await signedPost(path, { outcome: 'failed', reason: 'wms_rejected' });
    expect(refused.status).toBe(200);
    expect(refused.json).toMatchObject({ status: 'released', allocation: 'failed', releaseReason: 'wms_rejected', refundDue: true });
    expect((await eventsOf(sku)).at(-1)).toMatchObject({ type: 'StockReleased', data: { qty: 2, reason: 'wms_rejected', refundDue: true } });
  });

  it('unsigned → 401; unknown reservation → 404; a body outside the schema → 400', async () => {
    const { sku, path } = await held();
    expect((await call('POST', path, { key: ADMIN, body: { outcome: 'confirmed', allocationId: 'a' } })).status).toBe(401);
    expect((await signedPost(`/internal/skus/${sku}/reservations/res_00000000000000000000000000/allocation`, { outcome: 'confirmed', allocationId: 'a' })).json.error.code).toBe('reservation_not_found');
    const bad = await signedPost(path, { outcome: 'failed', reason: 'cancelled' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_request');
  });
});

describe('the saga after a re-sourcing, in the object (ADR 0015)', () => {
  it('a reservation re-sourced by a count below committed is pending again; a verdict about the old location is refused, the new one taken', async () => {
    const sku = uniqueSku('resrc');
    const mv = (sequence: number, delta: number, movement: string) =>
      signedPost(`/internal/skus/${sku}/movements`, { warehouse: 'soap-1', document: `WMS-${sequence}`, sequence, movement, location: 'AMS-1', delta, at: '2026-12-06T10:00:00Z' });
    expect((await mv(1, 4, 'receipt')).status).toBe(200);
    expect((await call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body: { onHand: 4, location: 'EWR-1', priority: 1 } })).status).toBe(200);
    const { json } = await reserve(sku, { customerId: 'c', qty: 2 }, `k-${sku}`);
    expect(json.location).toBe('AMS-1');
    const path = `/internal/skus/${sku}/reservations/${json.reservationId}/allocation`;
    expect((await signedPost(path, { outcome: 'confirmed', allocationId: 'alloc-ams', location: 'AMS-1' })).json).toMatchObject({ allocation: 'allocated' });

    expect((await mv(2, -3, 'count')).json.shortfall).toMatchObject({ resourced: [{ reservationId: json.reservationId, qty: 2, to: 'EWR-1' }] });
    const moved = await call('GET', `/v1/skus/${sku}/reservations/${json.reservationId}?customerId=c`);
    expect(moved.json).toMatchObject({ location: 'EWR-1', allocation: 'pending' });
    expect((await signedPost(path, { outcome: 'confirmed', allocationId: 'alloc-ams', location: 'AMS-1' })).status).toBe(400);
    const here = await signedPost(path, { outcome: 'confirmed', allocationId: 'alloc-ewr', location: 'EWR-1' });
    expect(here.json).toMatchObject({ allocation: 'allocated', location: 'EWR-1' });
    expect((await eventsOf(sku)).slice(-2).map((e) => [e.type, e.data.allocationId ?? e.data.to])).toEqual([['ReservationResourced', 'EWR-1'], ['AllocationConfirmed', 'alloc-ewr']]);
  });

  it('a warehouse refuses for stock: a verdict naming what the saga tried moves the reservation to a location not tried, or releases it when none has the units', async () => {
    const sku = uniqueSku('failover');
    const setAt = (location: string, onHand: number, priority: number) =>
      call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body: { onHand, location, priority } });
    expect((await setAt('AMS-1', 4, 0)).status).toBe(200);
    expect((await setAt('FRA-1', 2, 1)).status).toBe(200);
    const { json } = await reserve(sku, { customerId: 'c', qty: 2 }, `k-${sku}`);
    expect(json.location).toBe('AMS-1');
    const path = `/internal/skus/${sku}/reservations/${json.reservationId}/allocation`;

    const moved = await signedPost(path, { outcome: 'failed', reason: 'wms_rejected', location: 'AMS-1', resourcings: 0, tried: ['AMS-1'] });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ status: 'held', allocation: 'pending', location: 'FRA-1' });
    expect((await eventsOf(sku)).at(-1)).toMatchObject({
      type: 'ReservationResourced', data: { reservationId: json.reservationId, qty: 2, from: 'AMS-1', to: 'FRA-1', completed: false, reason: 'wms_rejected' },
    });
    // Refused at FRA-1 too: AMS-1 was tried, nowhere else has the units: released.
    const released = await signedPost(path, { outcome: 'failed', reason: 'wms_rejected', location: 'FRA-1', resourcings: 1, tried: ['AMS-1', 'FRA-1'] });
    expect(released.json).toMatchObject({ status: 'released', releaseReason: 'wms_rejected', location: 'FRA-1' });
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json.locations).toEqual([
      { location: 'AMS-1', onHand: 4, reserved: 0, sold: 0, available: 4, fed: null },
      { location: 'FRA-1', onHand: 2, reserved: 0, sold: 0, available: 2, fed: null },
    ]);
  });

  it('re-sourced away and back (AMS-1 → EWR-1 → AMS-1): a verdict decided before the latest re-sourcing is refused though its location matches', async () => {
    const sku = uniqueSku('resrc2');
    const mv = (sequence: number, location: string, delta: number, movement: string) =>
      signedPost(`/internal/skus/${sku}/movements`, { warehouse: 'soap-1', document: `WMS-${sequence}`, sequence, movement, location, delta, at: '2026-12-06T10:00:00Z' });
    expect((await mv(1, 'AMS-1', 4, 'receipt')).status).toBe(200);
    expect((await mv(2, 'EWR-1', 4, 'receipt')).status).toBe(200);
    const { json } = await reserve(sku, { customerId: 'c', qty: 2 }, `k-${sku}`);
    expect(json.location).toBe('AMS-1');
    expect((await mv(3, 'AMS-1', -3, 'count')).json.shortfall).toMatchObject({ resourced: [{ to: 'EWR-1' }] });
    expect((await mv(4, 'AMS-1', 3, 'receipt')).status).toBe(200);
    expect((await mv(5, 'EWR-1', -4, 'count')).json.shortfall).toMatchObject({ resourced: [{ to: 'AMS-1' }] });

    const path = `/internal/skus/${sku}/reservations/${json.reservationId}/allocation`;
    const stale = await signedPost(path, { outcome: 'confirmed', allocationId: 'alloc-ams', location: 'AMS-1', resourcings: 0 });
    expect(stale.status).toBe(400);
    expect(stale.json.error).toMatchObject({ code: 'invalid_command', message: 'the reservation was re-sourced 2 times, now to AMS-1: a verdict decided after 0 is not its' });
    expect((await signedPost(path, { outcome: 'failed', reason: 'wms_rejected', location: 'AMS-1', resourcings: 1 })).status).toBe(400);
    expect((await signedPost(path, { outcome: 'confirmed', allocationId: 'alloc-ams', location: 'AMS-1', resourcings: -1 })).json.error.code).toBe('invalid_request');
    const fresh = await signedPost(path, { outcome: 'confirmed', allocationId: 'alloc-ams-2', location: 'AMS-1', resourcings: 2 });
    expect(fresh.json).toMatchObject({ allocation: 'allocated', status: 'held', location: 'AMS-1' });
    expect((await eventsOf(sku)).at(-1)).toMatchObject({ type: 'AllocationConfirmed', data: { allocationId: 'alloc-ams-2' } });
  });
});
