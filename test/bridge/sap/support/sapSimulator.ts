import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startSapSimulator, type RunningSapSimulator, type SapSimulatorOptions } from '../../../../bridge/sap/simulator/server';

/** The SAP simulator over real HTTP, for the SAP specs: no mocks. */

export const ADMIN_KEY = 'sap-spec-admin';
export const USER = 'INVENTORY';
export const PASSWORD = 'spec-password';
export const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
export const PLANTS = { 'FRA-1': { plant: '1010', storageLocation: '0001' }, 'BER-2': { plant: '1020', storageLocation: '0002' } };
export const RESERVATIONS = '/sap/opu/odata/sap/API_RESERVATION_DOCUMENT_SRV';
export const STOCK = '/sap/opu/odata/sap/API_MATERIAL_STOCK_SRV';
export const DOCUMENTS = '/sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV';

/** Registers the hooks of one spec file: every simulator closed after each test, a temporary dir for state files. */
export function useSapSimulators() {
  let root = '';
  const running = new Set<RunningSapSimulator>();
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sap-'));
  });
  afterEach(async () => {
    await Promise.all([...running].map((simulator) => simulator.close()));
    running.clear();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function start(options: Partial<SapSimulatorOptions> = {}) {
    const simulator = await startSapSimulator({ logger: pino({ level: 'silent' }), adminKeys: [ADMIN_KEY], user: USER, password: PASSWORD, plants: PLANTS, unstocked: 'empty', ...options });
    running.add(simulator);
    return simulator;
  }
  return { start, file: (name: string) => join(root, name) };
}

export async function admin(simulator: RunningSapSimulator, method: string, path: string, body?: unknown) {
  const res = await fetch(simulator.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) };
}

/** A client session as SAP's clients hold one: Basic auth, and a CSRF token with its session cookie once fetched. */
export function session(simulator: RunningSapSimulator) {
  let csrf: { token: string; cookie: string } | undefined;
  async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
    const res = await fetch(simulator.url + path, {
      method,
      headers: {
        authorization: BASIC,
        accept: 'application/json',
        ...(csrf ? { 'x-csrf-token': csrf.token, cookie: csrf.cookie } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) };
  }
  return {
    call,
    async fetchToken(path = `${RESERVATIONS}/`) {
      const res = await fetch(simulator.url + path, { method: 'HEAD', headers: { authorization: BASIC, 'x-csrf-token': 'Fetch' } });
      csrf = { token: res.headers.get('x-csrf-token')!, cookie: res.headers.get('set-cookie')!.split(';')[0]! };
      return csrf;
    },
  };
}

// Answers are read by path in the specs; their shapes are what the specs assert.
 
export type Json = any;

export const item = (text: string, qty: number, product = 'SKU-1', plant = '1010', storageLocation = '0001') => ({
  Product: product,
  Plant: plant,
  StorageLocation: storageLocation,
  ResvnItmRequiredQtyInEntryUnit: String(qty),
  EntryUnit: 'PC',
  ReservationItemText: text,
});
