import { serve, type ServerType } from '@hono/node-server';
import { parseSecrets } from '../src/internal/signature';
import type { BridgeConfig } from './config';
import { createEventLog } from './eventLog';
import type { EventLog } from './eventLog/port';
import { TOPICS } from './eventLog/topics';
import { createBridgeApp } from './http/app';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';

export type RunningBridge = { url: string; log: EventLog; metrics: Metrics; close(): Promise<void> };

/** Starts the bridge: the event log with its topics first, then the HTTP server. */
export async function startBridge(config: BridgeConfig, logger: Logger): Promise<RunningBridge> {
  const log = createEventLog(config, logger);
  await log.ensureTopics(TOPICS);
  const metrics = createMetrics();
  const app = createBridgeApp({ log, secrets: parseSecrets(config.INTERNAL_SECRET), metrics, logger });
  const server = await listen(app.fetch, config.BRIDGE_HOST, config.BRIDGE_PORT);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.BRIDGE_PORT;
  const url = `http://${config.BRIDGE_HOST}:${port}`;
  logger.info({ url, log: (await log.health()).detail }, 'bridge listening');
  return {
    url,
    log,
    metrics,
    close: async () => {
      // Stop taking pushes first; the objects retry whatever was not acknowledged.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await log.close();
    },
  };
}

function listen(fetch: (request: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server));
    server.once('error', reject);
  });
}
