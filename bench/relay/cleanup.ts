import { constants as osConstants } from 'node:os';

export type Cleanup = () => Promise<unknown>;

let stopping: Promise<void> | null = null;

/**
 * Stops what was started, last first, once (a signal and the end of `main` may both ask); one
 * failing step does not keep the others from running.
 */
export function stopAll(cleanups: Cleanup[]): Promise<void> {
  stopping ??= (async () => {
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()!();
      } catch (error) {
        console.error('cleanup failed:', error);
      }
    }
  })();
  return stopping;
}

/**
 * Ctrl-C or SIGTERM stops everything before exiting: the broker runs detached, outside this
 * process group, and would outlive us. Miniflare registers signal listeners of its own that exit
 * at once, before any asynchronous shutdown could run, so ours replace them once the edge is up
 * (its 'exit' hook, which kills workerd, stays).
 */
export function handleSignals(cleanups: Cleanup[]): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => void stopAll(cleanups).finally(() => process.exit(128 + osConstants.signals[signal])));
  }
}
