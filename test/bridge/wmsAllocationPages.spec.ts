import { describe, expect, it } from 'vitest';
import type { RunningWmsSimulator } from '../../bridge/wms/simulator';
import { WmsStore } from '../../bridge/wms/store';
import { MAX_ALLOCATIONS_PAGE } from '../../bridge/wms/wsdl';
import { envelope, soapPost, T, useWmsSimulators } from './support/wmsSimulator';

/** ListAllocations in pages: the simulator over real HTTP, the real SOAP client. */

const { start, dataDir } = useWmsSimulators();

/** A hand-written ListAllocations, as a caller that is not our client would send it. */
async function listRaw(simulator: RunningWmsSimulator, fields = '') {
  const res = await soapPost(simulator, envelope(fields ? `<w:ListAllocations>${fields}</w:ListAllocations>` : '<w:ListAllocations/>'), 'urn:flash-sale:wms/ListAllocations');
  const xml = await res.text();
  return {
    status: res.status,
    bytes: Buffer.byteLength(xml),
    ids: [...xml.matchAll(/<reservationId>([^<]*)<\/reservationId>/g)].map((m) => m[1]),
    next: /<next>([^<]*)<\/next>/.exec(xml)?.[1] ?? null,
    fault: /<faultstring>([^<]*)<\/faultstring>/.exec(xml)?.[1] ?? null,
  };
}

const page = (after: string | null, limit: number) => `${after === null ? '' : `<w:after>${after}</w:after>`}<w:limit>${limit}</w:limit>`;

/** Ids that sort differently from the order they are recorded in: a page is in the order first recorded, not by id. */
const shuffledIds = (count: number) => Array.from({ length: count }, (_, i) => `reservation-${String((i * 7_919) % count).padStart(5, '0')}`);

/** `count` allocations written through the simulator's store, faster than as many SOAP calls. */
async function warehouseOf(count: number) {
  const dir = dataDir(`seeded-${count}-${Math.random().toString(36).slice(2)}`);
  const store = await WmsStore.open(dir, { locations: ['default'], unstocked: 'unlimited', defaultStock: 1_000_000 });
  const ids = shuffledIds(count);
  await Promise.all(ids.map((reservationId) => store.allocate({ reservationId, sku: 'SKU-PAGED', qty: 1 })));
  await store.close();
  return { dir, ids };
}

describe('the simulator answers ListAllocations in pages', () => {
  it('pages in the order first recorded; a record added between pages, or cancelled, is neither lost nor moved', async () => {
    const { simulator, client } = await start();
    for (const id of ['r-c', 'r-a', 'r-e', 'r-b', 'r-d']) await client.allocate(id, 'SKU-A', 1, T);

    expect(await listRaw(simulator, page(null, 2))).toEqual({ status: 200, bytes: expect.any(Number), ids: ['r-c', 'r-a'], next: 'r-a', fault: null });
    await client.allocate('r-0', 'SKU-A', 1, T);
    await client.cancel('r-c', T);
    expect(await listRaw(simulator, page('r-a', 2))).toMatchObject({ status: 200, ids: ['r-e', 'r-b'], next: 'r-b' });
    // Exactly what is left: no next on the last page.
    expect(await listRaw(simulator, page('r-b', 2))).toMatchObject({ status: 200, ids: ['r-d', 'r-0'], next: null });
    expect(await listRaw(simulator, page('r-0', 2))).toMatchObject({ status: 200, ids: [], next: null });
    expect((await client.list(T)).map((r) => r.reservationId)).toEqual(['r-c', 'r-a', 'r-e', 'r-b', 'r-d', 'r-0']);
  });

  it(`a request without after and limit (a caller from before pages) gets the first ${MAX_ALLOCATIONS_PAGE} and a next`, async () => {
    const { dir, ids } = await warehouseOf(MAX_ALLOCATIONS_PAGE + 1);
    const { simulator } = await start({ dataDir: dir });
    expect(await listRaw(simulator)).toMatchObject({ status: 200, ids: ids.slice(0, MAX_ALLOCATIONS_PAGE), next: ids[MAX_ALLOCATIONS_PAGE - 1] });
    expect(await listRaw(simulator, `<w:after>${ids[MAX_ALLOCATIONS_PAGE - 1]}</w:after>`)).toMatchObject({ status: 200, ids: [ids.at(-1)], next: null });
    expect(await listRaw(simulator, page(null, MAX_ALLOCATIONS_PAGE))).toMatchObject({ status: 200, ids: ids.slice(0, MAX_ALLOCATIONS_PAGE) });
  });

  it.each([
    ['limit 0', page(null, 0), 'invalid ListAllocations: limit: Too small: expected number to be &gt;=1'],
    [`limit ${MAX_ALLOCATIONS_PAGE + 1}`, page(null, MAX_ALLOCATIONS_PAGE + 1), `invalid ListAllocations: limit: Too big: expected number to be &lt;=${MAX_ALLOCATIONS_PAGE}`],
    ['an unknown after', page('r-nobody', 10), 'invalid ListAllocations: after: no reservation r-nobody in this warehouse; pass back a next it answered'],
    ['an empty after', '<w:after></w:after>', 'invalid ListAllocations: after: Too small: expected string to have &gt;=1 characters; after: reservationId must be 1-128 printable ASCII characters without spaces'],
  ])('%s is a SOAP Client fault', async (_, fields, message) => {
    const { simulator, client } = await start();
    await client.allocate('r-1', 'SKU-A', 1, T);
    const res = await soapPost(simulator, envelope(`<w:ListAllocations>${fields}</w:ListAllocations>`), 'urn:flash-sale:wms/ListAllocations');
    expect(res.status).toBe(500);
    expect(await res.text()).toContain(`<faultcode>soap:Client</faultcode><faultstring>${message}</faultstring>`);
  });
});
