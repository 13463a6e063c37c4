import { loadConfig } from './config';
import { createLogger } from './logger';
import { startBridge } from './server';

/** `node --import tsx bridge/main.ts`: the bridge as a process, stopped cleanly on SIGTERM/SIGINT. */
const config = (() => {
  try {
    return loadConfig(process.env);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
})();
const logger = createLogger(config.LOG_LEVEL);

try {
  const bridge = await startBridge(config, logger);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'bridge stopping');
    await bridge.close();
    logger.info('bridge stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, 'bridge failed to start');
  process.exit(1);
}
