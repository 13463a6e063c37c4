import { SingleBar } from 'cli-progress';

export type Progress = { tick(label: string): void; stop(): void };

/**
 * A bar on stderr for long runs, only for a person at a terminal: stdout stays the result alone,
 * and logs and pipes get no escape codes.
 */
export function progress(title: string, total: number, enabled: boolean): Progress {
  if (!enabled) return { tick: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ format: `${title} [{bar}] {value}/{total} {label}`, stream: process.stderr, clearOnComplete: true, hideCursor: true });
  bar.start(total, 0, { label: '' });
  return { tick: (label) => bar.increment({ label }), stop: () => bar.stop() };
}

export type Meter<P extends object> = { update(value: number, total: number, payload: P): void; stop(): void };

/**
 * The same kind of bar for a count someone else keeps (a component's progress, polled): the caller
 * sets the value and the total. `format` may use the payload's keys as tokens.
 */
export function meter<P extends object>(format: string, enabled: boolean): Meter<P> {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  let bar: SingleBar | null = null;
  return {
    update(value, total, payload) {
      if (bar === null) {
        bar = new SingleBar({ format, stream: process.stderr, clearOnComplete: true, hideCursor: true });
        bar.start(total, value, payload);
        return;
      }
      bar.setTotal(total);
      bar.update(value, payload);
    },
    stop: () => bar?.stop(),
  };
}
