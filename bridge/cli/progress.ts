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
