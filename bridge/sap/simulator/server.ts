import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createSapAdminApp } from './admin';
import { sapFaultInjector, withFaults, type SapFaultsPatch } from './faults';
import type { Logger } from '../../logger';
import { listen, stopServer } from '../../simulators/httpServer';
import type { Unstocked } from '../../wms/movements';
import { SERVICE_ROOT } from './edmx';
import { createMaterialDocumentService } from './materialDocuments';
import { createMaterialStockService } from './materialStock';
import { MATERIAL_DOCUMENT_SERVICE, RESERVATION_SERVICE, STOCK_SERVICE } from './model';
import { odataError } from './odataJson';
import { PlantMap, type Plants } from '../plants';
import { csrfHandshake, requireBasicAuth } from './protocol';
import { createReservationService } from './reservations';
import { SapStore } from './store';

export const DEFAULT_SAP_STOCK = 1_000_000;
/** One site, the default one, at the plant and storage location SAP's demo systems use. */
export const DEFAULT_PLANTS: Plants = { default: { plant: '1010', storageLocation: '0001' } };
/** Far above a reservation document of 999 items, far below anything worth buffering. */
export const MAX_ODATA_BYTES = 1024 * 1024;
export const DEFAULT_SAP_USER = 'INVENTORY';
export const DEFAULT_SAP_PASSWORD = 'local-only-password';

export type SapSimulatorOptions = {
  logger: Logger;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** The state file; absent, the simulator keeps its state in memory only. */
  stateFile?: string;
  /** Our locations and the SAP plant and storage location of each; default one, `default` → 1010/0001. */
  plants?: Plants;
  /** What a material nobody stocked holds at a storage location: the default stock, or nothing. Default 'unlimited'. */
  unstocked?: Unstocked;
  defaultStock?: number;
  /** Basic auth of the OData services. */
  user?: string;
  password?: string;
  /** Keys of the admin API; none: it refuses every call. */
  adminKeys: readonly string[];
  /** Faults from the start; default none. */
  faults?: SapFaultsPatch;
  /** Drives the faults; a test passes a script to make them deterministic. */
  random?: () => number;
};

export type RunningSapSimulator = {
  /** Base URL (the service host root): services under /sap/opu/odata/sap/, admin API under /admin. */
  url: string;
  close(): Promise<void>;
};

/** An SAP S/4HANA-style warehouse, simulated: OData V2 services over HTTP, Basic auth and CSRF as SAP Gateway does them. */
export async function startSapSimulator(options: SapSimulatorOptions): Promise<RunningSapSimulator> {
  const { logger, host = '127.0.0.1', port = 0, unstocked = 'unlimited', defaultStock = DEFAULT_SAP_STOCK } = options;
  const plants = new PlantMap(options.plants ?? DEFAULT_PLANTS);
  const store = await SapStore.open(plants, { unstocked, defaultStock }, options.stateFile);

  const faults = sapFaultInjector(options.faults ?? {}, options.random);
  const stopping = new AbortController();

  const app = new Hono();
  const odata = new Hono({ strict: false });
  odata.use('*', requireBasicAuth(options.user ?? DEFAULT_SAP_USER, options.password ?? DEFAULT_SAP_PASSWORD));
  odata.use('*', csrfHandshake());
  odata.use('*', bodyLimit({ maxSize: MAX_ODATA_BYTES, onError: (c) => odataError(c, 413, 'PAYLOAD_TOO_LARGE', `A request body is at most ${MAX_ODATA_BYTES} bytes`) }));
  odata.route(`/${RESERVATION_SERVICE}`, createReservationService(store, logger));
  odata.route(`/${STOCK_SERVICE}`, createMaterialStockService(store, plants));
  odata.route(`/${MATERIAL_DOCUMENT_SERVICE}`, createMaterialDocumentService(store, plants));
  app.route(SERVICE_ROOT, odata);
  app.route('/', createSapAdminApp({ store, faults, logger, adminKeys: options.adminKeys }));

  const listener = getRequestListener(withFaults((request, env) => app.fetch(request, env), faults, logger, stopping.signal));
  const server = createServer((req, res) => void listener(req, res));
  const url = await listen(server, host, port);
  logger.info({ url, services: `${url}${SERVICE_ROOT}/`, plants: options.plants ?? DEFAULT_PLANTS, unstocked, faults: faults.current }, 'sap simulator listening');

  let closing: Promise<void> | undefined;
  const shutdown = async () => {
    // Calls still waiting (latency, late, held) are dropped unapplied, as a crash would drop them.
    stopping.abort();
    await stopServer(server);
    await store.close();
  };
  return { url, close: () => (closing ??= shutdown()) };
}
