import { createSapClient } from '../../../../bridge/sap/client';
import type { Plants } from '../../../../bridge/sap/plants';
import type { RunningSapSimulator, SapSimulatorOptions } from '../../../../bridge/sap/simulator/server';
import { admin, BASIC, item, PASSWORD, RESERVATIONS, session, USER, useSapSimulators } from './sapSimulator';

/** The OData adapter against the SAP simulator, for the adapter's specs: both real, over HTTP. */

export const CLIENT_PLANTS: Plants = { 'FRA-1': { plant: '1010', storageLocation: '0001' }, 'MUC-1': { plant: '1010', storageLocation: '0002' } };
export const sapAdmin = admin;
export const clientOf = (simulator: RunningSapSimulator) => createSapClient({ url: simulator.url, user: USER, password: PASSWORD, plants: CLIENT_PLANTS });

/** A simulator stocked by default (1 000 000 of anything) unless told otherwise, and an adapter for it. */
export function useSapClients() {
  const simulators = useSapSimulators();
  let files = 0;
  async function start(options: Partial<SapSimulatorOptions> = {}) {
    const simulator = await simulators.start({ plants: CLIENT_PLANTS, unstocked: 'unlimited', ...options });
    return { simulator, client: clientOf(simulator) };
  }
  return { start, stateFile: () => simulators.file(`state-${++files}.json`) };
}

/** The reservation items carrying a reference, read straight from the simulator: what the adapter left there. */
export async function reservationItems(simulator: RunningSapSimulator, reference: string): Promise<Record<string, unknown>[]> {
  const filter = encodeURIComponent(`ReservationItemText eq '${reference}'`);
  const res = await fetch(`${simulator.url}${RESERVATIONS}/A_ReservationDocumentItem?$filter=${filter}`, { headers: { authorization: BASIC, accept: 'application/json' } });
  if (res.status !== 200) throw new Error(`HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { d: { results: Record<string, unknown>[] } }).d.results;
}

/** The live documents of a reference, by number. */
export const liveDocuments = async (simulator: RunningSapSimulator, reference: string) =>
  (await reservationItems(simulator, reference)).filter((i) => !i.ReservationItmIsMarkedForDeltn).map((i) => i.Reservation);

/** Creates of `references` landing at SAP by themselves, one unit each: what a late create looks like to the sweep. */
export async function land(simulator: RunningSapSimulator, ...references: string[]): Promise<void> {
  const sap = session(simulator);
  await sap.fetchToken();
  for (const reference of references) {
    const created = await sap.call('POST', `${RESERVATIONS}/A_ReservationDocumentHeader`, { body: { GoodsMovementType: '201', to_ReservationDocumentItem: [item(reference, 1, 'SKU-A')] } });
    if (created.status !== 201) throw new Error(`HTTP ${created.status} ${JSON.stringify(created.body)}`);
  }
}
