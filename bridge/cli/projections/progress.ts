import type { RebuildStatus } from '../api/bridge';

/**
 * How a rebuild's progress reads, as pure functions of what the bridge reports, so the bar, the
 * lines a log gets and the summaries all say the same thing (and can be tested without a bridge).
 */

/** Without a terminal, a progress line at most this often: enough for a CI log, not a flood. */
export const LINE_EVERY_MS = 2_000;

/** Events per second as a person reads them: whole above 10, one decimal below, never negative or NaN. */
export function formatRate(eventsPerSecond: number): string {
  const rate = Number.isFinite(eventsPerSecond) && eventsPerSecond > 0 ? eventsPerSecond : 0;
  return String(rate < 10 ? Math.round(rate * 10) / 10 : Math.round(rate));
}

/** Whole seconds as `45 s`, `2 min 5 s`, `1 h 3 min` (seconds stop mattering past an hour). */
export function formatSeconds(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return s > 0 ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}

/** The bridge's estimate, rounded up (0.2 s left is `1 s`, not `0 s`); `unknown` when it has none. */
export function formatEta(etaSeconds: number | null): string {
  return etaSeconds === null || !Number.isFinite(etaSeconds) ? 'unknown' : formatSeconds(Math.ceil(Math.max(0, etaSeconds)));
}

/** Elapsed time: tenths of a second under 10 s (a small rebuild is quick), whole units above. */
export function formatDuration(ms: number): string {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  return safe < 10_000 ? `${(safe / 1000).toFixed(1)} s` : formatSeconds(safe / 1000);
}

/** How long the rebuild ran, or has been running at `now`. */
export const rebuildDuration = (status: Pick<RebuildStatus, 'startedAt' | 'finishedAt'>, now: number): number =>
  (status.finishedAt ?? now) - status.startedAt;

type Progressing = Pick<RebuildStatus, 'phase' | 'read' | 'total' | 'eventsPerSecond' | 'etaSeconds'>;

/** One line for a log: `replaying 1200/5000 events, 3400 events/s, ETA 1 s`. */
export const progressLine = (status: Progressing): string =>
  `${status.phase} ${status.read}/${status.total} events, ${formatRate(status.eventsPerSecond)} events/s, ETA ${formatEta(status.etaSeconds)}`;

/** What the bar shows beside its count (cli-progress payload; `eta` is cli-progress's own token, hence `remaining`). */
export const barPayload = (status: Progressing) => ({
  phase: status.phase,
  rate: formatRate(status.eventsPerSecond),
  remaining: formatEta(status.etaSeconds),
});

/** Whether a line is due at `now`, the last one written at `lastAt` (null: none yet, so the first is due at once). */
export const lineDue = (lastAt: number | null, now: number, everyMs = LINE_EVERY_MS): boolean => lastAt === null || now - lastAt >= everyMs;

/** `lineDue` with its memory: true (and remembered) when a line may be written at `now`. */
export function lineThrottle(everyMs = LINE_EVERY_MS): (now: number) => boolean {
  let lastAt: number | null = null;
  return (now) => {
    if (!lineDue(lastAt, now, everyMs)) return false;
    lastAt = now;
    return true;
  };
}
