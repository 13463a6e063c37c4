import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createWmsClient, WmsError, type WmsErrorKind } from '../../../bridge/wms/client';
import { startWmsSimulator, type RunningWmsSimulator, type WmsSimulatorOptions } from '../../../bridge/wms/simulator';

/** The simulator over real HTTP and the real SOAP client, for the warehouse specs: no mocks. */

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Every SOAP call's timeout in the specs. */
export const T = 2_000;
export const ADMIN_KEY = 'wms-spec-admin';

/** Registers the hooks of one spec file: a temporary root for data dirs, and every simulator closed after each test. */
export function useWmsSimulators() {
  let root = '';
  let dirs = 0;
  const running = new Set<RunningWmsSimulator>();
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'wms-'));
  });
  afterEach(async () => {
    await Promise.all([...running].map((simulator) => simulator.close()));
    running.clear();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function start(options: Partial<WmsSimulatorOptions> = {}) {
    const simulator = await startWmsSimulator({ dataDir: join(root, `data-${++dirs}`), logger: pino({ level: 'silent' }), adminKeys: [ADMIN_KEY], ...options });
    running.add(simulator);
    return { simulator, client: await createWmsClient(simulator.soapUrl) };
  }
  return { start, dataDir: (name: string) => join(root, name) };
}

export async function admin(simulator: RunningWmsSimulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(simulator.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

export async function failure(call: Promise<unknown>): Promise<{ kind: WmsErrorKind; message: string; ms: number }> {
  const started = performance.now();
  try {
    await call;
  } catch (error) {
    if (!(error instanceof WmsError)) throw error;
    return { kind: error.kind, message: error.message, ms: performance.now() - started };
  }
  throw new Error('the call succeeded');
}

export function soapPost(simulator: RunningWmsSimulator, body: string, soapAction = 'urn:flash-sale:wms/AllocateStock') {
  return fetch(simulator.soapUrl, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${soapAction}"` }, body });
}

export const envelope = (body: string) =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:w="urn:flash-sale:wms"><soap:Body>${body}</soap:Body></soap:Envelope>`;
