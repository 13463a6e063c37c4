import type { Logger } from './logger';

/**
 * Runs a service as a process: configuration errors exit 2 with the message, a failed start
 * exits 1, and SIGTERM/SIGINT close it once before exiting 0.
 */
export async function runService<C>(
  name: string,
  loadConfig: () => C,
  makeLogger: (config: C) => Logger,
  start: (config: C, logger: Logger) => Promise<{ close(): Promise<void> }>,
): Promise<void> {
  let config: C;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
  const logger = makeLogger(config);
  try {
    const service = await start(config, logger);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, `${name} stopping`);
      await service.close();
      logger.info(`${name} stopped`);
      process.exit(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  } catch (error) {
    logger.fatal({ err: error }, `${name} failed to start`);
    process.exit(1);
  }
}
