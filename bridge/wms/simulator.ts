import { createServer, type RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Logger } from '../logger';
import { listen, stopServer } from '../simulators/httpServer';
import { createAdminApp } from './admin';
import { createSoapEndpoint } from './endpoint';
import { FaultInjector, type FaultsPatch } from './faults';
import { DEFAULT_LOCATION, type Unstocked } from './movements';
import { createSoapService } from './service';
import { WmsStore } from './store';
import { WMS_PATH, wmsWsdl } from './wsdl';

export const DEFAULT_STOCK = 1_000_000;

export type WmsSimulatorOptions = {
  /** Where the state file lives; a restart on the same directory keeps every record and the stock. */
  dataDir: string;
  logger: Logger;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Units of every SKU not set explicitly, when `unstocked` is 'unlimited'. Default 1,000,000. */
  defaultStock?: number;
  /** The warehouse's sites; the first is where an allocation naming none takes from. Default one, `default`. */
  locations?: readonly string[];
  /** What a SKU nobody stocked holds at a location: the default stock (as before locations) or nothing. */
  unstocked?: Unstocked;
  /** Faults from the start; default none. */
  faults?: FaultsPatch;
  /** Drives the faults; a test passes a script to make them deterministic. */
  random?: () => number;
  /** Keys of the admin API (faults, outages, stock); none: it refuses every call. */
  adminKeys: readonly string[];
};

export type RunningWmsSimulator = {
  /** Base URL: admin API under /admin, /healthz. */
  url: string;
  /** The SOAP endpoint; its WSDL is at `${soapUrl}?wsdl`. */
  soapUrl: string;
  close(): Promise<void>;
};

/** The legacy warehouse, simulated: real SOAP 1.1 over HTTP, state on disk, faults on demand. */
export async function startWmsSimulator(options: WmsSimulatorOptions): Promise<RunningWmsSimulator> {
  const { dataDir, logger, host = '127.0.0.1', port = 0, defaultStock = DEFAULT_STOCK, unstocked = 'unlimited' } = options;
  const locations = options.locations?.length ? options.locations : [DEFAULT_LOCATION];
  const store = await WmsStore.open(dataDir, { locations, unstocked, defaultStock });
  const faults = new FaultInjector(options.faults ?? {}, options.random);
  const admin = getRequestListener(createAdminApp({ store, faults, logger, adminKeys: options.adminKeys }).fetch);
  const stopping = new AbortController();

  // The WSDL names the address, known only once listening (port 0), so the SOAP side is built
  // then; a request arriving in those few milliseconds is told to come back, as a 503.
  let route: RequestListener | undefined;
  const server = createServer((req, res) => {
    if (route) return route(req, res);
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('warehouse starting');
  });
  const url = await listen(server, host, port);
  const soapUrl = `${url}${WMS_PATH}`;
  const wsdl = wmsWsdl(soapUrl);
  let soap: ReturnType<typeof createSoapEndpoint>;
  try {
    soap = createSoapEndpoint({ soap: await createSoapService(store, wsdl, logger), wsdl, faults, logger, signal: stopping.signal });
  } catch (error) {
    server.close();
    throw error;
  }
  route = (req, res) => (new URL(req.url ?? '', url).pathname === WMS_PATH ? soap(req, res) : void admin(req, res));
  logger.info({ url, soapUrl, dataDir, locations, unstocked, faults: faults.current }, 'wms simulator listening');

  let closing: Promise<void> | undefined;
  const shutdown = async () => {
    // Calls still waiting (latency, late) are dropped unapplied, as a crash would drop them;
    // held ones (timeouts) and idle keep-alive connections are cut.
    stopping.abort();
    await stopServer(server);
    await store.close();
  };
  return { url, soapUrl, close: () => (closing ??= shutdown()) };
}
