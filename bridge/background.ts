import type { Logger } from './logger';

export type Background<T> = { current(): T | null; stop(): Promise<void> };

/** Waits `ms`, or less if `stopped` resolves first. */
const pause = (ms: number, stopped: Promise<void>) => Promise.race([new Promise((r) => setTimeout(r, ms)), stopped]);

/**
 * Starts a component that needs the event log (the sagas, the snapshotter) without holding up
 * the bridge: while Kafka is unreachable it is retried with backoff, and /ingest keeps answering
 * (503 until the log is back) so that the objects' outboxes keep their own pace.
 */
export function startWithRetry<T>(name: string, start: () => Promise<T>, stopIt: (value: T) => Promise<void>, logger: Logger): Background<T> {
  let value: T | null = null;
  let stopping = false;
  let signalStop!: () => void;
  const stopped = new Promise<void>((resolve) => (signalStop = resolve));
  const running = (async () => {
    for (let attempt = 1; !stopping; attempt++) {
      try {
        const started = await start();
        if (stopping) await stopIt(started);
        else value = started;
        return;
      } catch (error) {
        logger.warn({ err: error, component: name, attempt }, `${name} could not start; retrying`);
        await pause(Math.min(10_000, 500 * 2 ** Math.min(attempt - 1, 5)), stopped);
      }
    }
  })();
  return {
    current: () => value,
    stop: async () => {
      stopping = true;
      signalStop();
      await running;
      if (value !== null) await stopIt(value);
    },
  };
}

/**
 * Repeats `run` until it succeeds (e.g. creating topics while the brokers come up), or until it
 * fails with an error `isFinal` recognises (one that no retry can fix), which is thrown.
 */
export async function untilDone(name: string, run: () => Promise<unknown>, logger: Logger, isFinal: (error: unknown) => boolean = () => false): Promise<void> {
  const never = new Promise<void>(() => undefined);
  for (let attempt = 1; ; attempt++) {
    try {
      await run();
      return;
    } catch (error) {
      if (isFinal(error)) throw error;
      logger.warn({ err: error, attempt }, `${name} failed; retrying`);
      await pause(Math.min(10_000, 500 * 2 ** Math.min(attempt - 1, 5)), never);
    }
  }
}
