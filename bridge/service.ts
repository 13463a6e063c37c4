import type { Logger } from './logger';

/**
 * How long closing may take before the process gives up and exits 1: below the 30 s a container
 * runtime is told to wait (`docker stop -t 30`, `TimeoutStopSec=30`), so a wedged close is
 * logged rather than killed silently. A clean close stops taking pushes, stops the consumers
 * (their handled batches committed) and closes the log in well under a second.
 */
const CLOSE_DEADLINE_MS = 20_000;

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
      const deadline = setTimeout(() => {
        logger.fatal({ deadlineMs: CLOSE_DEADLINE_MS }, `${name} did not stop in time`);
        process.exit(1);
      }, CLOSE_DEADLINE_MS);
      try {
        await service.close();
      } catch (error) {
        logger.error({ err: error }, `${name} failed while stopping`);
        process.exit(1);
      }
      clearTimeout(deadline);
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
