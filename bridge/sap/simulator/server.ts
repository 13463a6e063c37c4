import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from '../../logger';
import type { Unstocked } from '../../wms/movements';
import { SERVICE_ROOT } from './edmx';
import { RESERVATION_SERVICE } from './model';
import { DEFAULT_PLANTS, PlantMap, type Plants } from './plants';
import { csrfHandshake, requireBasicAuth } from './protocol';
import { createReservationService } from './reservations';
import { SapStore } from './store';

export const DEFAULT_SAP_STOCK = 1_000_000;
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

  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  const odata = new Hono({ strict: false });
  odata.use('*', requireBasicAuth(options.user ?? DEFAULT_SAP_USER, options.password ?? DEFAULT_SAP_PASSWORD));
  odata.use('*', csrfHandshake());
  odata.route(`/${RESERVATION_SERVICE}`, createReservationService(store, logger));
  app.route(SERVICE_ROOT, odata);

  const listener = getRequestListener(app.fetch);
  const server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const url = `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
  logger.info({ url, services: `${url}${SERVICE_ROOT}/`, plants: options.plants ?? DEFAULT_PLANTS, unstocked }, 'sap simulator listening');

  let closing: Promise<void> | undefined;
  const shutdown = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    await store.close();
  };
  return { url, close: () => (closing ??= shutdown()) };
}
