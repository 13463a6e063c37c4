import { describe, expect, it } from 'vitest';
import { admin, BASIC, item, RESERVATIONS, session, useSapSimulators, type Json } from './support/sapSimulator';

/** The reservation document service as SAP Gateway speaks it: auth, CSRF, deep insert, stock refusal, If-Match delete. */

const { start } = useSapSimulators();
const HEADERS = `${RESERVATIONS}/A_ReservationDocumentHeader`;
const ITEMS = `${RESERVATIONS}/A_ReservationDocumentItem`;
const ETAG = /^W\/"datetime'\d{4}-\d{2}-\d{2}T\d{2}%3A\d{2}%3A\d{2}\.\d{7}'"$/;

async function stocked(physical = 10) {
  const simulator = await start();
  expect(await admin(simulator, 'PUT', '/admin/stock/FRA-1/SKU-1', { physical })).toMatchObject({ status: 200 });
  const sap = session(simulator);
  await sap.fetchToken();
  return { simulator, sap };
}

describe('Basic auth', () => {
  it.each([
    ['no credentials', undefined],
    ['a wrong password', `Basic ${Buffer.from('INVENTORY:wrong').toString('base64')}`],
  ])('%s: 401 with SAP realm and an OData error body', async (_case, authorization) => {
    const simulator = await start();
    const res = await fetch(`${simulator.url}${RESERVATIONS}/$metadata`, { headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="SAP NetWeaver Application Server"');
    expect(await res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: { lang: 'en', value: 'Logon failed: user or password wrong' } } });
  });

  it('the admin API takes its keys, not the OData user', async () => {
    const simulator = await start();
    const res = await fetch(`${simulator.url}/admin/faults`, { headers: { authorization: BASIC } });
    expect(res.status).toBe(401);
  });
});

describe('the CSRF handshake', () => {
  it('a change without a token is 403 with x-csrf-token: Required, and nothing is created', async () => {
    const simulator = await start();
    const sap = session(simulator);
    const refused = await sap.call('POST', HEADERS, { body: { to_ReservationDocumentItem: [item('res_a', 1)] } });
    expect(refused).toMatchObject({ status: 403, body: 'CSRF token validation failed' });
    expect(refused.headers.get('x-csrf-token')).toBe('Required');
    expect((await sap.call('GET', HEADERS)).body).toEqual({ d: { results: [] } });
  });

  it('a token fetched with HEAD (any URL of the service) and its cookie let a change through; the token without its cookie does not', async () => {
    const { simulator, sap } = await stocked();
    const { token } = await sap.fetchToken(`${HEADERS}/`);
    expect(token).toMatch(/^\S{16,}$/);
    expect((await sap.call('POST', HEADERS, { body: { to_ReservationDocumentItem: [item('res_a', 1)] } })).status).toBe(201);
    const withoutCookie = await fetch(simulator.url + HEADERS, {
      method: 'POST',
      headers: { authorization: BASIC, 'x-csrf-token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ to_ReservationDocumentItem: [item('res_b', 1)] }),
    });
    expect(withoutCookie.status).toBe(403);
    expect(withoutCookie.headers.get('x-csrf-token')).toBe('Required');
  });

  it('a GET without Fetch gets no token; the same session fetching again gets the same token', async () => {
    const simulator = await start();
    const sap = session(simulator);
    expect((await sap.call('GET', `${RESERVATIONS}/`)).headers.get('x-csrf-token')).toBeNull();
    const { token } = await sap.fetchToken();
    expect((await sap.call('GET', `${RESERVATIONS}/`, { headers: { 'x-csrf-token': 'Fetch' } })).headers.get('x-csrf-token')).toBe(token);
  });
});

describe('reservation documents', () => {
  it('a deep insert creates a header with its items, numbered from 0000000001, with an ETag and a Location', async () => {
    const { sap } = await stocked();
    const created = await sap.call('POST', HEADERS, {
      body: { GoodsMovementType: '201', CostCenter: '10101101', ReservationDate: '/Date(1796515200000)/', to_ReservationDocumentItem: [item('res_a@FRA-1', 2), item('res_a@FRA-1~2', 3)] },
    });
    expect(created.status).toBe(201);
    const uri = `${created.body.d.__metadata.uri}`;
    expect(uri).toMatch(/\/sap\/opu\/odata\/sap\/API_RESERVATION_DOCUMENT_SRV\/A_ReservationDocumentHeader\('0000000001'\)$/);
    expect(created.headers.get('location')).toBe(uri);
    expect(created.headers.get('etag')).toMatch(ETAG);
    expect(created.body.d).toMatchObject({
      __metadata: { type: 'API_RESERVATION_DOCUMENT_SRV.A_ReservationDocumentHeaderType', etag: created.headers.get('etag') },
      Reservation: '0000000001',
      GoodsMovementType: '201',
      CostCenter: '10101101',
      ReservationDate: '/Date(1796515200000)/',
    });
    expect(created.body.d.to_ReservationDocumentItem.results.map((i: Json) => [i.ReservationItem, i.RecordType, i.ReservationItemText, i.ResvnItmRequiredQtyInEntryUnit, i.ReservationItmIsMarkedForDeltn])).toEqual([
      ['0001', '', 'res_a@FRA-1', '2.000', false],
      ['0002', '', 'res_a@FRA-1~2', '3.000', false],
    ]);
    const second = await sap.call('POST', HEADERS, { body: { to_ReservationDocumentItem: { results: [item('res_b', 1)] } } });
    expect(second.body.d.Reservation).toBe('0000000002');
  });

  it('more than unrestricted stock less open reservations is refused 400 M7/021, and nothing is taken', async () => {
    const { sap, simulator } = await stocked(5);
    expect((await sap.call('POST', HEADERS, { body: { to_ReservationDocumentItem: [item('res_a', 4)] } })).status).toBe(201);
    const refused = await sap.call('POST', HEADERS, { body: { to_ReservationDocumentItem: [item('res_b', 1), item('res_b~2', 1)] } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'M7/021', message: { lang: 'en', value: 'Deficit of SL Unrestricted-use 1 PC : SKU-1 1010 0001' } });
    expect(refused.body.error.innererror.application.service_id).toBe('API_RESERVATION_DOCUMENT_SRV');
    // The first item fit; it was given back with the refusal.
    expect((await admin(simulator, 'GET', '/admin/stock')).body).toEqual([{ location: 'FRA-1', sku: 'SKU-1', physical: 5, allocated: 4, shipped: 0 }]);
    expect((await sap.call('POST', HEADERS, { body: { to_ReservationDocumentItem: [item('res_c', 1)] } })).status).toBe(201);
  });

  it('an unknown plant or storage location, or a bad body, is 400 and creates nothing', async () => {
    const { sap } = await stocked();
    const unknown = await sap.call('POST', HEADERS, { body: { to_ReservationDocumentItem: [item('res_a', 1, 'SKU-1', '9999', '0001')] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('ZSIM/001');
    for (const body of [{}, { to_ReservationDocumentItem: [] }, { to_ReservationDocumentItem: [{ ...item('res_a', 1), ResvnItmRequiredQtyInEntryUnit: '1.5' }] }, { to_ReservationDocumentItem: [item('x'.repeat(51), 1)] }]) {
      const bad = await sap.call('POST', HEADERS, { body });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('INVALID_BODY');
    }
    expect((await sap.call('GET', ITEMS)).body.d.results).toEqual([]);
  });

  it('a body over 1 MiB is 413 and creates nothing', async () => {
    const { sap } = await stocked();
    const huge = await sap.call('POST', HEADERS, { body: { CostCenter: 'x'.repeat(1024 * 1024), to_ReservationDocumentItem: [item('res_a', 1)] } });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await sap.call('GET', ITEMS)).body.d.results).toEqual([]);
  });

  it('items are found by their text, with $filter, $top, $skip and $inlinecount', async () => {
    const { sap } = await stocked();
    for (const text of ['res_a', 'res_b', 'res_a']) await sap.call('POST', HEADERS, { body: { to_ReservationDocumentItem: [item(text, 1)] } });
    const found = await sap.call('GET', `${ITEMS}?$filter=${encodeURIComponent("ReservationItemText eq 'res_a'")}&$inlinecount=allpages&$format=json`);
    expect(found.body.d.__count).toBe('2');
    expect(found.body.d.results.map((i: Json) => i.Reservation)).toEqual(['0000000001', '0000000003']);
    const page = await sap.call('GET', `${HEADERS}?$top=1&$skip=1&$expand=to_ReservationDocumentItem`);
    expect(page.body.d.results.map((h: Json) => [h.Reservation, h.to_ReservationDocumentItem.results[0].ReservationItemText])).toEqual([['0000000002', 'res_b']]);
    const deferred = await sap.call('GET', `${HEADERS}('0000000001')`);
    expect(deferred.body.d.to_ReservationDocumentItem).toEqual({ __deferred: { uri: `${deferred.body.d.__metadata.uri}/to_ReservationDocumentItem` } });
    expect((await sap.call('GET', `${HEADERS}('0000000001')/to_ReservationDocumentItem`)).body.d.results).toHaveLength(1);
    expect((await sap.call('GET', `${ITEMS}(Reservation='0000000002',ReservationItem='0001',RecordType='')`)).body.d.ReservationItemText).toBe('res_b');
  });

  it('$filter joins comparisons with or, and with and around a parenthesised or', async () => {
    const { sap } = await stocked();
    for (const text of ['res_a', 'res_b', 'res_c', 'res_a']) await sap.call('POST', HEADERS, { body: { to_ReservationDocumentItem: [item(text, 1)] } });
    const texts = async (filter: string) => (await sap.call('GET', `${ITEMS}?$filter=${encodeURIComponent(filter)}`)).body.d.results.map((i: Json) => [i.Reservation, i.ReservationItemText]);
    expect(await texts("ReservationItemText eq 'res_a' or ReservationItemText eq 'res_c'")).toEqual([
      ['0000000001', 'res_a'],
      ['0000000003', 'res_c'],
      ['0000000004', 'res_a'],
    ]);
    expect(await texts("Reservation gt '0000000001' and (ReservationItemText eq 'res_a' or ReservationItemText eq 'res_b')")).toEqual([
      ['0000000002', 'res_b'],
      ['0000000004', 'res_a'],
    ]);
  });

  it.each([
    [`${ITEMS}?$filter=${encodeURIComponent("ReservationItemText eq")}`, 400, 'INVALID_QUERY'],
    [`${ITEMS}?$filter=${encodeURIComponent("substringof('a', ReservationItemText)")}`, 400, 'INVALID_QUERY'],
    [`${ITEMS}?$search=x`, 400, 'INVALID_QUERY'],
    [`${HEADERS}?$expand=to_Nothing`, 400, 'INVALID_QUERY'],
    [`${HEADERS}('1','2')`, 400, 'INVALID_KEY'],
    [`${HEADERS}('0000000042')`, 404, 'RESOURCE_NOT_FOUND'],
    [`${RESERVATIONS}/A_Nothing`, 404, 'RESOURCE_NOT_FOUND'],
  ])('GET %s is %i %s', async (path, status, code) => {
    const { sap } = await stocked();
    const res = await sap.call('GET', path);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it('delete needs If-Match (428), refuses a stale ETag (412), then flags every item for deletion, keeps the document and gives the units back', async () => {
    const { sap, simulator } = await stocked(3);
    const created = await sap.call('POST', HEADERS, { body: { to_ReservationDocumentItem: [item('res_a', 3)] } });
    const etag = created.headers.get('etag')!;
    const doc = `${HEADERS}('0000000001')`;

    const missing = await sap.call('DELETE', doc);
    expect(missing.status).toBe(428);
    expect(missing.body.error.code).toBe('PRECONDITION_REQUIRED');
    const stale = await sap.call('DELETE', doc, { headers: { 'if-match': `W/"datetime'2020-01-01T00%3A00%3A00.0000000'"` } });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('PRECONDITION_FAILED');

    const deleted = await sap.call('DELETE', doc, { headers: { 'if-match': etag } });
    expect(deleted).toMatchObject({ status: 204, body: '' });
    const after = await sap.call('GET', `${doc}?$expand=to_ReservationDocumentItem`);
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(after.body.d.to_ReservationDocumentItem.results.map((i: Json) => i.ReservationItmIsMarkedForDeltn)).toEqual([true]);
    // The old ETag is stale now; deleting again with the current one (or *) changes nothing and is 204.
    expect((await sap.call('DELETE', doc, { headers: { 'if-match': etag } })).status).toBe(412);
    expect((await sap.call('DELETE', doc, { headers: { 'if-match': '*' } })).status).toBe(204);
    expect((await sap.call('GET', doc)).headers.get('etag')).toBe(after.headers.get('etag'));
    expect((await admin(simulator, 'GET', '/admin/stock')).body).toEqual([{ location: 'FRA-1', sku: 'SKU-1', physical: 3, allocated: 0, shipped: 0 }]);
    expect((await sap.call('DELETE', `${HEADERS}('0000000009')`, { headers: { 'if-match': '*' } })).status).toBe(404);
  });

  it('$metadata is EDMX 1.0 for DataServiceVersion 2.0 with SAP annotations and a self link', async () => {
    const { sap, simulator } = await stocked();
    const res = await sap.call('GET', `${RESERVATIONS}/$metadata`);
    expect(res.headers.get('content-type')).toBe('application/xml');
    expect(res.body).toContain('<edmx:Edmx Version="1.0"');
    expect(res.body).toContain('m:DataServiceVersion="2.0"');
    expect(res.body).toContain('<EntitySet Name="A_ReservationDocumentHeader" EntityType="API_RESERVATION_DOCUMENT_SRV.A_ReservationDocumentHeaderType" sap:creatable="true" sap:updatable="false" sap:deletable="true"');
    expect(res.body).toContain('<Property Name="ReservationItemText" Type="Edm.String" MaxLength="50" sap:label="Item Text"/>');
    expect(res.body).toContain(`<atom:link rel="self" href="${simulator.url}${RESERVATIONS}/$metadata"`);
  });
});
