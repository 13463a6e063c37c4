import { pino } from 'pino';
import { loadWmsConfig } from './config';
import { startWmsSimulator } from './simulator';

/** `node --import tsx bridge/wms/main.ts`: the warehouse simulator as a process, stopped cleanly on SIGTERM/SIGINT. */
const config = (() => {
  try {
    return loadWmsConfig(process.env);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
})();
// Not the bridge's createLogger: these lines belong to another service.
const { logLevel, ...options } = config;
const logger = pino({ level: logLevel, base: { service: 'wms' } });

try {
  const simulator = await startWmsSimulator({ ...options, logger });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'wms simulator stopping');
    await simulator.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, 'wms simulator failed to start');
  process.exit(1);
}
