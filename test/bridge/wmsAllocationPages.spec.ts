import { createServer } from 'node:http';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ALLOCATIONS_PAGE, createWmsClient, MAX_SOAP_REPLY_BYTES } from '../../bridge/wms/client';
import type { RunningWmsSimulator } from '../../bridge/wms/simulator';
import { WmsStore } from '../../bridge/wms/store';
import { MAX_ALLOCATIONS_PAGE } from '../../bridge/wms/wsdl';
import { envelope, failure, soapPost, T, useWmsSimulators } from './support/wmsSimulator';

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

describe('the client reads every page', () => {
  it('reads a warehouse whose allocations are far beyond MAX_SOAP_REPLY_BYTES, page by page, in order', async () => {
    const count = 8_000;
    const { dir, ids } = await warehouseOf(count);
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const { simulator, client } = await start({ dataDir: dir, logger });
    // In one reply they would not fit: the defect this paging mends.
    const first = await listRaw(simulator, page(null, MAX_ALLOCATIONS_PAGE));
    expect(first.bytes * (count / MAX_ALLOCATIONS_PAGE)).toBeGreaterThan(MAX_SOAP_REPLY_BYTES);

    const records = await client.list(10_000);
    expect(records.map((r) => r.reservationId)).toEqual(ids);
    expect(records.every((r) => r.sku === 'SKU-PAGED' && r.qty === 1 && r.status === 'allocated')).toBe(true);
    expect(lines.filter((l) => l.msg === 'SOAP call' && l.operation === 'ListAllocations')).toHaveLength(1 + count / ALLOCATIONS_PAGE);
  });

  it('every page shares one deadline: slow pages time out the list, not each call', async () => {
    const { dir } = await warehouseOf(2 * ALLOCATIONS_PAGE + 1);
    const { client } = await start({ dataDir: dir, random: () => 0.5, faults: { latencyMs: { min: 120, max: 120 }, operations: ['ListAllocations'] } });
    const slow = await failure(client.list(300));
    // Pages of 120 ms each would all pass a per-call timeout of 300 ms: only a shared deadline fails the list. How many
    // pages it read by then, and whether a call was out when it passed, depend on the machine's load.
    expect(slow).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/^ListAllocations: not every page within 300 ms \(\d+ records read\)(: ListAllocations: no answer within \d+ ms.*)?$/) });
    expect(slow.ms).toBeGreaterThanOrEqual(290);
    expect(slow.ms).toBeLessThan(1_000);
    expect(await client.list(T)).toHaveLength(2 * ALLOCATIONS_PAGE + 1);
  });

  it('a warehouse whose next goes round in a circle is a fault, not an endless read', async () => {
    const { simulator } = await start();
    const wsdl = await (await fetch(`${simulator.soapUrl}?wsdl`)).text();
    const reply =
      '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' +
      '<ListAllocationsResponse xmlns="urn:flash-sale:wms"><allocation><reservationId>r-1</reservationId><sku>SKU-A</sku><qty>1</qty>' +
      '<status>allocated</status><allocationId>alloc_1</allocationId><updatedAt>2026-12-06T09:00:00.000Z</updatedAt></allocation>' +
      '<next>r-1</next></ListAllocationsResponse></soap:Body></soap:Envelope>';
    let calls = 0;
    const server = createServer((request, response) => {
      if (request.method === 'POST') calls += 1;
      response.writeHead(200, { 'content-type': 'text/xml' }).end(request.method === 'GET' ? wsdl : reply);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const client = await createWmsClient(`http://127.0.0.1:${port}/wms`);
      expect(await failure(client.list(T))).toMatchObject({ kind: 'fault', message: 'ListAllocations: next r-1 answered twice; the pages go round in a circle' });
      expect(calls).toBe(2);
    } finally {
      server.close();
    }
  });
});
