import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createWmsClient, MAX_SOAP_REPLY_BYTES } from '../../bridge/wms/client';
import { MAX_SOAP_BYTES } from '../../bridge/wms/endpoint';
import type { RunningWmsSimulator } from '../../bridge/wms/simulator';
import { admin, envelope, failure, ISO, soapPost, T, useWmsSimulators } from './support/wmsSimulator';

/** The simulator over real HTTP, the real SOAP client: no mocks. */

const { start, dataDir } = useWmsSimulators();

const stockOf = async (simulator: RunningWmsSimulator) => (await admin(simulator, 'GET', '/admin/stock')).body;

const allocateXml = (reservationId: string, sku: string, qty: string) =>
  envelope(`<w:AllocateStock><w:reservationId>${reservationId}</w:reservationId><w:sku>${sku}</w:sku><w:qty>${qty}</w:qty></w:AllocateStock>`);

/** A scripted random(): the simulator draws five numbers per call (latency, timeout, fault, late, duplicate). */
const scripted = (draws: number[]) => () => draws.shift() ?? 0.5;

describe('the warehouse operations (idempotent by reservationId)', () => {
  it('allocates once: a retry gets the same allocation; beyond the stock it is rejected, and that answer sticks too', async () => {
    const { simulator, client } = await start();
    expect(await admin(simulator, 'PUT', '/admin/stock/SKU-A', { qty: 5 })).toEqual({ status: 200, body: { sku: 'SKU-A', qty: 5 } });

    const first = await client.allocate('r-1', 'SKU-A', 3, T);
    expect(first).toEqual({ status: 'allocated', allocationId: expect.stringMatching(/^alloc_[\w-]{16}$/) });
    expect(await client.allocate('r-1', 'SKU-A', 3, T)).toEqual(first);
    expect(await stockOf(simulator)).toEqual({ defaultStock: 1_000_000, skus: { 'SKU-A': 2 } });

    expect(await client.allocate('r-2', 'SKU-A', 3, T)).toEqual({ status: 'rejected', reason: 'out_of_stock' });
    await admin(simulator, 'PUT', '/admin/stock/SKU-A', { qty: 10 });
    expect(await client.allocate('r-2', 'SKU-A', 3, T)).toEqual({ status: 'rejected', reason: 'out_of_stock' });
    expect(await stockOf(simulator)).toEqual({ defaultStock: 1_000_000, skus: { 'SKU-A': 10 } });
  });

  it('a cancel returns the units once; AllocateStock after it answers cancelled and takes nothing', async () => {
    const { simulator, client } = await start({ defaultStock: 7 });
    const allocated = await client.allocate('r-1', 'SKU-B', 4, T);
    expect(await stockOf(simulator)).toEqual({ defaultStock: 7, skus: { 'SKU-B': 3 } });

    expect(await client.cancel('r-1', T)).toEqual({ status: 'cancelled' });
    expect(await client.cancel('r-1', T)).toEqual({ status: 'cancelled' });
    expect(await stockOf(simulator)).toEqual({ defaultStock: 7, skus: { 'SKU-B': 7 } });
    expect(await client.allocate('r-1', 'SKU-B', 4, T)).toEqual({ status: 'cancelled' });
    expect(await stockOf(simulator)).toEqual({ defaultStock: 7, skus: { 'SKU-B': 7 } });
    expect(await client.get('r-1', T)).toEqual({
      reservationId: 'r-1',
      sku: 'SKU-B',
      qty: 4,
      status: 'cancelled',
      allocationId: allocated.status === 'allocated' ? allocated.allocationId : 'unreachable',
      reason: null,
      updatedAt: expect.stringMatching(ISO),
    });
  });

  it('a cancel of a reservation never seen leaves a tombstone: a late AllocateStock answers cancelled', async () => {
    const { simulator, client } = await start();
    expect(await client.cancel('r-ghost', T)).toEqual({ status: 'cancelled' });
    expect(await client.allocate('r-ghost', 'SKU-C', 2, T)).toEqual({ status: 'cancelled' });
    expect(await stockOf(simulator)).toEqual({ defaultStock: 1_000_000, skus: {} });
    expect(await client.get('r-ghost', T)).toEqual({
      reservationId: 'r-ghost',
      sku: '',
      qty: 0,
      status: 'cancelled',
      allocationId: null,
      reason: null,
      updatedAt: expect.stringMatching(ISO),
    });
  });

  it('a rejected reservation can be cancelled (nothing to return); get and list return every record', async () => {
    const { simulator, client } = await start({ defaultStock: 2 });
    const kept = await client.allocate('r-kept', 'SKU-D', 2, T);
    await client.allocate('r-refused', 'SKU-D', 1, T);
    expect(await client.cancel('r-refused', T)).toEqual({ status: 'cancelled' });
    await client.cancel('r-ghost', T);
    expect(await stockOf(simulator)).toEqual({ defaultStock: 2, skus: { 'SKU-D': 0 } });

    expect(await client.get('r-unknown', T)).toBeNull();
    const all = await client.list(T);
    expect(all.sort((a, b) => a.reservationId.localeCompare(b.reservationId))).toEqual([
      { reservationId: 'r-ghost', sku: '', qty: 0, status: 'cancelled', allocationId: null, reason: null, updatedAt: expect.stringMatching(ISO) },
      {
        reservationId: 'r-kept',
        sku: 'SKU-D',
        qty: 2,
        status: 'allocated',
        allocationId: kept.status === 'allocated' ? kept.allocationId : 'unreachable',
        reason: null,
        updatedAt: expect.stringMatching(ISO),
      },
      { reservationId: 'r-refused', sku: 'SKU-D', qty: 1, status: 'cancelled', allocationId: null, reason: 'out_of_stock', updatedAt: expect.stringMatching(ISO) },
    ]);
    expect(await client.get('r-kept', T)).toEqual(all.find((r) => r.reservationId === 'r-kept'));
  });

  it('an empty warehouse lists nothing; invalid arguments are a SOAP Client fault and record nothing', async () => {
    const { client } = await start();
    expect(await client.list(T)).toEqual([]);
    const bad = await failure(client.allocate('r-1', 'SKU-E', 0, T));
    expect(bad.kind).toBe('fault');
    expect(bad.message).toBe('AllocateStock: SOAP fault: invalid AllocateStock: qty: Too small: expected number to be >=1');
    expect((await failure(client.allocate('r-1', 'not a sku', 1, T))).kind).toBe('fault');
    expect(await client.list(T)).toEqual([]);
  });
});

describe('state on disk', () => {
  it('a restart on the same data dir keeps every record and the stock', async () => {
    const restart = dataDir('restart');
    const before = await start({ dataDir: restart, defaultStock: 10 });
    const allocated = await before.client.allocate('r-1', 'SKU-R', 4, T);
    await before.client.allocate('r-2', 'SKU-R', 3, T);
    await before.client.cancel('r-2', T);
    await before.client.cancel('r-ghost', T);
    await admin(before.simulator, 'PUT', '/admin/stock/SKU-S', { qty: 1 });
    const records = await before.client.list(T);
    await before.simulator.close();

    const after = await start({ dataDir: restart, defaultStock: 10 });
    expect(after.simulator.soapUrl).not.toBe(before.simulator.soapUrl);
    expect(await after.client.list(T)).toEqual(records);
    expect(await stockOf(after.simulator)).toEqual({ defaultStock: 10, skus: { 'SKU-R': 6, 'SKU-S': 1 } });
    expect(await after.client.allocate('r-1', 'SKU-R', 4, T)).toEqual(allocated);
    expect(await after.client.allocate('r-ghost', 'SKU-R', 1, T)).toEqual({ status: 'cancelled' });
    expect(await stockOf(after.simulator)).toEqual({ defaultStock: 10, skus: { 'SKU-R': 6, 'SKU-S': 1 } });
  });
});

describe('fault injection (deterministic: scripted random)', () => {
  const onAllocate = { operations: ['AllocateStock' as const] };

  it('faultRate 1: a SOAP Server fault, nothing applied', async () => {
    const { simulator, client } = await start({ random: () => 0.5, faults: { faultRate: 1, ...onAllocate } });
    const fault = await failure(client.allocate('r-1', 'SKU-F', 1, T));
    expect(fault).toMatchObject({ kind: 'fault', message: 'AllocateStock: SOAP fault: injected fault: the warehouse failed, nothing was applied' });
    expect(await client.get('r-1', T)).toBeNull();
    expect(await stockOf(simulator)).toEqual({ defaultStock: 1_000_000, skus: {} });
  });

  it('timeoutRate 1: no answer, the client gives up after timeoutMs, nothing applied', async () => {
    const { simulator, client } = await start({ random: () => 0.5, faults: { timeoutRate: 1, ...onAllocate } });
    const timeout = await failure(client.allocate('r-1', 'SKU-T', 1, 300));
    expect(timeout.kind).toBe('timeout');
    expect(timeout.ms).toBeGreaterThanOrEqual(290);
    expect(timeout.ms).toBeLessThan(1_000);
    expect(await client.get('r-1', T)).toBeNull();
    expect(await stockOf(simulator)).toEqual({ defaultStock: 1_000_000, skus: {} });
  });

  it('lateRate 1: the client times out, yet the allocation is applied afterwards', async () => {
    const { simulator, client } = await start({ random: () => 0.5, faults: { lateRate: 1, lateMs: 500, ...onAllocate } });
    expect((await failure(client.allocate('r-1', 'SKU-L', 2, 150))).kind).toBe('timeout');
    expect(await client.get('r-1', T)).toBeNull();
    await sleep(600);
    expect(await client.get('r-1', T)).toMatchObject({ reservationId: 'r-1', sku: 'SKU-L', qty: 2, status: 'allocated' });
    expect(await stockOf(simulator)).toEqual({ defaultStock: 1_000_000, skus: { 'SKU-L': 999_998 } });
  });

  it('lateRate 1 with a compensation first: the late AllocateStock meets the tombstone and takes nothing', async () => {
    const { simulator, client } = await start({ random: () => 0.5, faults: { lateRate: 1, lateMs: 400, ...onAllocate } });
    expect((await failure(client.allocate('r-1', 'SKU-L', 2, 100))).kind).toBe('timeout');
    expect(await client.cancel('r-1', T)).toEqual({ status: 'cancelled' });
    await sleep(500);
    expect(await client.get('r-1', T)).toMatchObject({ reservationId: 'r-1', sku: '', qty: 0, status: 'cancelled' });
    expect(await stockOf(simulator)).toEqual({ defaultStock: 1_000_000, skus: {} });
  });

  it('duplicateRate 1: every call is delivered twice, and still allocates and returns once', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const { simulator, client } = await start({ logger, random: () => 0.5, faults: { duplicateRate: 1 } });
    const allocated = await client.allocate('r-1', 'SKU-2', 3, T);
    expect(allocated).toMatchObject({ status: 'allocated' });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'SOAP call', operation: 'AllocateStock', fate: 'apply', deliveries: 2, status: 200 }));
    expect(await client.allocate('r-1', 'SKU-2', 3, T)).toEqual(allocated);
    expect(await client.list(T)).toHaveLength(1);
    expect(await stockOf(simulator)).toEqual({ defaultStock: 1_000_000, skus: { 'SKU-2': 999_997 } });
    await client.cancel('r-1', T);
    expect(await stockOf(simulator)).toEqual({ defaultStock: 1_000_000, skus: { 'SKU-2': 1_000_000 } });
  });

  it('a rate between 0 and 1 hits exactly when the scripted draw is below it', async () => {
    // Per call: latency, timeout, fault, late, duplicate. First call's fault draw 0.2 < 0.5, second's 0.7.
    const { client } = await start({ random: scripted([0, 0.9, 0.2, 0.9, 0.9, 0, 0.9, 0.7, 0.9, 0.9]), faults: { faultRate: 0.5, ...onAllocate } });
    expect((await failure(client.allocate('r-1', 'SKU-P', 1, T))).kind).toBe('fault');
    expect(await client.allocate('r-1', 'SKU-P', 1, T)).toMatchObject({ status: 'allocated' });
  });

  it('latencyMs delays every answer within [min, max]', async () => {
    const { client } = await start({ random: () => 0.99, faults: { latencyMs: { min: 150, max: 200 } } });
    const started = performance.now();
    await client.list(T);
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
  });

  it('an outage answers HTTP 503 at once (the client says unavailable), then the warehouse works again', async () => {
    const { simulator, client } = await start();
    const until = await admin(simulator, 'POST', '/admin/outage', { forMs: 400 });
    expect(until).toEqual({ status: 200, body: { outageUntil: expect.any(Number) } });
    const down = await failure(client.allocate('r-1', 'SKU-O', 1, T));
    expect(down).toMatchObject({ kind: 'unavailable', message: 'AllocateStock: HTTP 503 without a SOAP fault' });
    expect(down.ms).toBeLessThan(300);
    expect((await failure(createWmsClient(simulator.soapUrl))).kind).toBe('unavailable');
    expect((await admin(simulator, 'GET', '/healthz')).status).toBe(200);
    await sleep((until.body as { outageUntil: number }).outageUntil - Date.now() + 20);
    expect(await client.allocate('r-1', 'SKU-O', 1, T)).toMatchObject({ status: 'allocated' });
    expect(await stockOf(simulator)).toEqual({ defaultStock: 1_000_000, skus: { 'SKU-O': 999_999 } });
  });

  it('a reply past MAX_SOAP_REPLY_BYTES is refused unread, as a fault that may have been applied', async () => {
    const { simulator } = await start();
    const wsdl = await (await fetch(`${simulator.soapUrl}?wsdl`)).text();
    // The real WSDL, then an endless-looking answer: a broken warehouse or a hostile proxy.
    const huge = `<?xml version="1.0"?><Envelope><Body>${'x'.repeat(MAX_SOAP_REPLY_BYTES + 1)}</Body></Envelope>`;
    const server = createServer((request, response) => {
      if (request.method === 'GET') response.writeHead(200, { 'content-type': 'text/xml' }).end(wsdl);
      else response.writeHead(200, { 'content-type': 'text/xml' }).end(huge);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address() as { port: number };
      const client = await createWmsClient(`http://127.0.0.1:${address.port}/wms`);
      const refused = await failure(client.allocate('r-huge', 'SKU-1', 1, T));
      expect(refused).toMatchObject({ kind: 'fault', message: `AllocateStock: reply larger than ${MAX_SOAP_REPLY_BYTES} bytes, refused unread; it may or may not have been applied` });
    } finally {
      server.close();
    }
  });

  it('a warehouse that is not listening is unavailable, from the WSDL on', async () => {
    const { simulator, client } = await start();
    await simulator.close();
    await sleep(50); // the client's pooled connection sees the close
    expect((await failure(client.list(T))).kind).toBe('unavailable');
    expect((await failure(createWmsClient(simulator.soapUrl))).kind).toBe('unavailable');
  });

  it('PUT /admin/faults changes the behaviour at run time, merging a partial change', async () => {
    const { simulator, client } = await start({ random: () => 0.5 });
    expect(await client.allocate('r-1', 'SKU-U', 1, T)).toMatchObject({ status: 'allocated' });
    const changed = await admin(simulator, 'PUT', '/admin/faults', { faultRate: 1, operations: ['CancelAllocation'] });
    expect(changed).toEqual({
      status: 200,
      body: {
        latencyMs: { min: 0, max: 0 },
        timeoutRate: 0,
        faultRate: 1,
        duplicateRate: 0,
        lateRate: 0,
        lateMs: 5_000,
        outageUntil: 0,
        operations: ['CancelAllocation'],
      },
    });
    expect(await admin(simulator, 'GET', '/admin/faults')).toEqual(changed);
    expect((await failure(client.cancel('r-1', T))).kind).toBe('fault');
    expect(await client.get('r-1', T)).toMatchObject({ status: 'allocated' });
    await admin(simulator, 'PUT', '/admin/faults', { faultRate: 0 });
    expect(await client.cancel('r-1', T)).toEqual({ status: 'cancelled' });
  });

  it('a bad faults body is 400 with the issues, and changes nothing', async () => {
    const { simulator } = await start({ faults: { lateMs: 1_000 } });
    const before = await admin(simulator, 'GET', '/admin/faults');
    expect(await admin(simulator, 'PUT', '/admin/faults', { timeoutRate: 2, latencyMs: { min: 50, max: 10 } })).toEqual({
      status: 400,
      body: {
        error: {
          code: 'invalid_request',
          message: 'invalid body',
          details: {
            issues: [
              { path: 'latencyMs', message: 'min must not exceed max' },
              { path: 'timeoutRate', message: 'Too big: expected number to be <=1' },
            ],
          },
        },
      },
    });
    expect((await admin(simulator, 'PUT', '/admin/faults', { surprise: true })).status).toBe(400);
    expect(await admin(simulator, 'PUT', '/admin/faults', '{"faultRate":')).toEqual({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'body is not JSON' } },
    });
    expect((await admin(simulator, 'POST', '/admin/outage', { forMs: -1 })).status).toBe(400);
    expect((await admin(simulator, 'PUT', '/admin/stock/SKU-1', { qty: 1.5 })).status).toBe(400);
    expect(await admin(simulator, 'GET', '/admin/faults')).toEqual(before);
  });

  it('the admin API takes an admin key and JSON bodies only: a web page cannot order an outage', async () => {
    const { simulator, client } = await start();
    const unauthorized = { status: 401, body: { error: { code: 'unauthorized', message: 'an admin key is required: Authorization: Bearer <key>' } } };
    // What any web page may send without a preflight: a text/plain POST, no credentials.
    const fromAPage = await fetch(`${simulator.url}/admin/outage`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"forMs":86400000}' });
    expect({ status: fromAPage.status, body: await fromAPage.json() }).toEqual(unauthorized);
    expect(await admin(simulator, 'POST', '/admin/outage', { forMs: 86_400_000 }, { authorization: 'Bearer not-the-key' })).toEqual(unauthorized);
    expect(await admin(simulator, 'GET', '/admin/stock', undefined, { authorization: '' })).toEqual(unauthorized);
    // With the key, a body that is not declared JSON is still refused.
    expect(await admin(simulator, 'POST', '/admin/outage', { forMs: 86_400_000 }, { 'content-type': 'text/plain' })).toEqual({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'Content-Type must be application/json' } },
    });
    expect((await admin(simulator, 'GET', '/admin/faults')).body).toMatchObject({ outageUntil: 0 });
    expect(await client.allocate('r-page', 'SKU-P', 1, T)).toMatchObject({ status: 'allocated' });
    // No keys configured: nobody gets in.
    const { simulator: locked } = await start({ adminKeys: [] });
    expect((await admin(locked, 'GET', '/admin/faults')).status).toBe(401);
    // The health check stays open for supervisors.
    expect((await fetch(`${simulator.url}/healthz`)).status).toBe(200);
  });
});

describe('hardening: the endpoint filters before soap parses anything', () => {
  const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${allocateXml('&xxe;', 'SKU-X', '1').replace(/^<\?xml[^>]*>/, '')}`;
  const lol = [`<!ENTITY lol "lol">`, ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`)].join('');
  const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [${lol}]>${allocateXml('r-lol', 'SKU-X', '1').replace(/^<\?xml[^>]*>/, '').replace('r-lol', '&lol9;')}`;

  it.each([
    ['an external entity (XXE)', xxe],
    ['a billion laughs', laughs],
    ['a lower-case doctype', allocateXml('r-1', 'SKU-X', '1').replace('<soap:Envelope', '<!doctype x><soap:Envelope')],
  ])('%s is refused with a SOAP Client fault and changes nothing', async (_, body) => {
    const { simulator, client } = await start();
    const res = await soapPost(simulator, body);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toContain('<faultcode>soap:Client</faultcode><faultstring>DOCTYPE, ENTITY and other markup declarations are refused</faultstring>');
    expect(text).not.toContain('root:');
    expect(await client.list(T)).toEqual([]);
    expect(await stockOf(simulator)).toEqual({ defaultStock: 1_000_000, skus: {} });
  });

  it('a body over 64 KiB is 413, whether it announces its length or streams it', async () => {
    const { simulator, client } = await start();
    const padding = `<!-- ${'x'.repeat(MAX_SOAP_BYTES)} -->`;
    const declared = await soapPost(simulator, allocateXml('r-big', 'SKU-X', '1').replace('<soap:Body>', `<soap:Body>${padding}`));
    expect(declared.status).toBe(413);

    // A body that never ends (16 KiB a millisecond): the server can only answer by giving up on it at the limit.
    const chunk = new TextEncoder().encode(`<!-- ${'y'.repeat(16 * 1024)} -->`);
    const endless = new ReadableStream<Uint8Array>({ pull: async (controller) => controller.enqueue(await sleep(1, chunk)) });
    const streamed = await fetch(simulator.soapUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/xml', soapaction: '"urn:flash-sale:wms/AllocateStock"' },
      body: endless,
      duplex: 'half',
      signal: AbortSignal.timeout(5_000),
    });
    expect(streamed.status).toBe(413);
    expect(await client.list(T)).toEqual([]);
  });
});

describe('real SOAP 1.1 on the wire', () => {
  it('GET ?wsdl serves the WSDL, naming the address it listens on', async () => {
    const { simulator } = await start();
    const res = await fetch(`${simulator.soapUrl}?wsdl`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    const wsdl = await res.text();
    expect(wsdl).toContain('<wsdl:definitions name="Wms" targetNamespace="urn:flash-sale:wms"');
    expect(wsdl).toContain('<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>');
    expect(wsdl).toContain('<soap:operation soapAction="urn:flash-sale:wms/AllocateStock" style="document"/>');
    expect(wsdl).toContain(`<soap:address location="${simulator.soapUrl}"/>`);
  });

  it('a hand-written envelope with Content-Type text/xml and SOAPAction gets a SOAP 1.1 answer', async () => {
    const { simulator } = await start();
    const allocated = await soapPost(simulator, allocateXml('r-raw', 'SKU-W', '2'));
    expect(allocated.status).toBe(200);
    expect(allocated.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    expect(await allocated.text()).toMatch(
      /^<\?xml version="1\.0" encoding="utf-8"\?><soap:Envelope xmlns:soap="http:\/\/schemas\.xmlsoap\.org\/soap\/envelope\/" [^>]*><soap:Body><AllocateStockResponse xmlns="urn:flash-sale:wms"><status>allocated<\/status><allocationId>alloc_[\w-]{16}<\/allocationId><\/AllocateStockResponse><\/soap:Body><\/soap:Envelope>$/,
    );

    const found = await soapPost(simulator, envelope('<w:GetAllocation><w:reservationId>r-raw</w:reservationId></w:GetAllocation>'), 'urn:flash-sale:wms/GetAllocation');
    const text = await found.text();
    expect(text).toContain('<GetAllocationResponse xmlns="urn:flash-sale:wms"><found>true</found><allocation><reservationId>r-raw</reservationId><sku>SKU-W</sku><qty>2</qty><status>allocated</status><allocationId>alloc_');
    expect(text).toMatch(/<\/allocationId><updatedAt>[^<]+<\/updatedAt><\/allocation><\/GetAllocationResponse>/);

    const invalid = await soapPost(simulator, allocateXml('r-2', 'SKU-W', 'many'));
    expect(invalid.status).toBe(500);
    expect(await invalid.text()).toContain(
      '<soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>invalid AllocateStock: qty: Invalid input: expected number, received NaN</faultstring></soap:Fault></soap:Body>',
    );

    const noAction = await fetch(simulator.soapUrl, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: allocateXml('r-2', 'SKU-W', '1') });
    expect(noAction.status).toBe(500);
    expect(await noAction.text()).toContain('<faultcode>soap:Client</faultcode>');
  });
});
