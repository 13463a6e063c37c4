import type { WmsClient } from '../wms/client';
import type { Warehouse } from '../warehouses';

/**
 * One client per configured warehouse, made on first use and again after a failure (the
 * warehouse may be down when the bridge starts). Each kind's stack (SOAP, OData) is imported only
 * then: a bridge that never talks to such a warehouse does not carry it.
 */
export type WarehouseClients = (warehouse: string) => Promise<WmsClient>;

export function warehouseClients(warehouses: readonly Warehouse[]): WarehouseClients {
  const made = new Map<string, Promise<WmsClient>>();
  return (id) => {
    const cached = made.get(id);
    if (cached) return cached;
    const warehouse = warehouses.find((w) => w.id === id);
    if (!warehouse) return Promise.reject(new Error(`no warehouse ${id} is configured`));
    const client = clientOf(warehouse);
    made.set(id, client);
    client.catch(() => {
      if (made.get(id) === client) made.delete(id);
    });
    return client;
  };
}

/** The adapter for the warehouse's kind, behind the one port. */
export function clientOf(warehouse: Warehouse): Promise<WmsClient> {
  switch (warehouse.kind) {
    case 'soap':
      return import('../wms/client').then(({ createWmsClient }) => createWmsClient(warehouse.url));
    case 'odata':
      return import('../sap/client').then(({ createSapClient }) => createSapClient(warehouse));
  }
}

/**
 * `ListMovements` documents `next` as "never beyond the last": asked for what follows the
 * largest xsd:int, a warehouse answers its latest sequence, in one call that moves nothing.
 */
const BEYOND_THE_END = 2_147_483_647;

export async function latestSequence(client: WmsClient, timeoutMs: number): Promise<number> {
  return (await client.movements(BEYOND_THE_END, 1, timeoutMs)).next;
}

export type WarehouseProbe = { ok: boolean; detail: string; latest: number | null; ms: number };

/** A warehouse's health as the feed needs it: does it answer ListMovements, and where is its log. */
export async function probeWarehouse(clients: WarehouseClients, id: string, timeoutMs: number): Promise<WarehouseProbe> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  // The first call also fetches the WSDL (its own, longer timeout): the probe as a whole keeps to `timeoutMs`.
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)));
  try {
    const latest = await Promise.race([clients(id).then((client) => latestSequence(client, timeoutMs)), late]);
    return { ok: true, detail: `ListMovements answered (latest sequence ${latest})`, latest, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error), latest: null, ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}
