import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createSapClient } from '../../../bridge/sap/client';
import type { Plants } from '../../../bridge/sap/plants';
import { startSapSimulator, type RunningSapSimulator, type SapSimulatorOptions } from '../../../bridge/sap/simulator/server';

/** The SAP simulator over real HTTP and the real OData adapter, for the SAP warehouse specs: no mocks. */

export const SAP_ADMIN_KEY = 'sap-spec-admin';
export const SAP_USER = 'INVENTORY';
export const SAP_PASSWORD = 'spec-password';
export const PLANTS: Plants = { 'FRA-1': { plant: '1010', storageLocation: '0001' }, 'MUC-1': { plant: '1010', storageLocation: '0002' } };

/** Registers the hooks of one spec file: a temporary root for state files, and every simulator closed after each test. */
export function useSapSimulators() {
  let root = '';
  let files = 0;
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
    const simulator = await startSapSimulator({
      logger: pino({ level: 'silent' }),
      adminKeys: [SAP_ADMIN_KEY],
      plants: PLANTS,
      user: SAP_USER,
      password: SAP_PASSWORD,
      ...options,
    });
    running.add(simulator);
    return { simulator, client: createSapClient({ url: simulator.url, user: SAP_USER, password: SAP_PASSWORD, plants: PLANTS }) };
  }
  return { start, stateFile: () => join(root, `state-${++files}.json`) };
}

/** Reads an OData collection as the simulator serves it (Basic auth, JSON), to check what the adapter left there. */
export async function odataRead(simulator: RunningSapSimulator, service: string, path: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${simulator.url}/sap/opu/odata/sap/${service}/${path}`, {
    headers: { authorization: `Basic ${Buffer.from(`${SAP_USER}:${SAP_PASSWORD}`).toString('base64')}`, accept: 'application/json' },
  });
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { d: { results: Record<string, unknown>[] } }).d.results;
}

export const reservationItems = (simulator: RunningSapSimulator, reference: string) =>
  odataRead(simulator, 'API_RESERVATION_DOCUMENT_SRV', `A_ReservationDocumentItem?$filter=${encodeURIComponent(`ReservationItemText eq '${reference}'`)}`);

/** The simulator's admin API (faults, stock, movements), with its key. */
export async function sapAdmin(simulator: RunningSapSimulator, method: string, path: string, body?: unknown) {
  const res = await fetch(simulator.url + path, {
    method,
    headers: { authorization: `Bearer ${SAP_ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) };
}
