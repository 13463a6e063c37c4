import { describe, expect, it } from 'vitest';
import {
  barPayload,
  formatDuration,
  formatEta,
  formatRate,
  formatSeconds,
  lineDue,
  lineThrottle,
  LINE_EVERY_MS,
  progressLine,
  rebuildDuration,
} from '../../../bridge/cli/projections/progress';

describe('rebuild progress formatting', () => {
  it('shows events per second whole from 10 up, with one decimal below, and never negative or NaN', () => {
    expect(formatRate(3400.4)).toBe('3400');
    expect(formatRate(3400.5)).toBe('3401');
    expect(formatRate(10)).toBe('10');
    expect(formatRate(9.96)).toBe('10');
    expect(formatRate(2.54)).toBe('2.5');
    expect(formatRate(3)).toBe('3');
    expect(formatRate(0)).toBe('0');
    expect(formatRate(-5)).toBe('0');
    expect(formatRate(Number.NaN)).toBe('0');
    expect(formatRate(Number.POSITIVE_INFINITY)).toBe('0');
  });

  it('writes seconds in the largest units that matter', () => {
    expect(formatSeconds(0)).toBe('0 s');
    expect(formatSeconds(45)).toBe('45 s');
    expect(formatSeconds(60)).toBe('1 min');
    expect(formatSeconds(125)).toBe('2 min 5 s');
    expect(formatSeconds(3600)).toBe('1 h');
    expect(formatSeconds(3600 + 3 * 60 + 59)).toBe('1 h 3 min');
    expect(formatSeconds(-1)).toBe('0 s');
  });

  it('rounds the ETA up and says when there is none', () => {
    expect(formatEta(null)).toBe('unknown');
    expect(formatEta(Number.NaN)).toBe('unknown');
    expect(formatEta(0)).toBe('0 s');
    expect(formatEta(0.2)).toBe('1 s');
    expect(formatEta(1)).toBe('1 s');
    expect(formatEta(59.1)).toBe('1 min');
    expect(formatEta(90)).toBe('1 min 30 s');
    expect(formatEta(-3)).toBe('0 s');
  });

  it('shows durations in tenths of a second under 10 s, whole units above', () => {
    expect(formatDuration(0)).toBe('0.0 s');
    expect(formatDuration(4_230)).toBe('4.2 s');
    expect(formatDuration(9_949)).toBe('9.9 s');
    expect(formatDuration(10_000)).toBe('10 s');
    expect(formatDuration(125_400)).toBe('2 min 5 s');
    expect(formatDuration(-20)).toBe('0.0 s');
  });

  it('measures a finished rebuild to its end and a running one to now', () => {
    expect(rebuildDuration({ startedAt: 1_000, finishedAt: 5_500 }, 99_000)).toBe(4_500);
    expect(rebuildDuration({ startedAt: 1_000, finishedAt: null }, 3_000)).toBe(2_000);
  });

  it('says phase, count, rate and ETA in one line, and the same in the bar payload', () => {
    const status = { phase: 'replaying', read: 1200, total: 5000, eventsPerSecond: 3400, etaSeconds: 1.1 } as const;
    expect(progressLine(status)).toBe('replaying 1200/5000 events, 3400 events/s, ETA 2 s');
    expect(progressLine({ ...status, phase: 'syncing', read: 5000, eventsPerSecond: 0, etaSeconds: null })).toBe(
      'syncing 5000/5000 events, 0 events/s, ETA unknown',
    );
    expect(barPayload(status)).toEqual({ phase: 'replaying', rate: '3400', remaining: '2 s' });
  });
});

describe('progress line throttling', () => {
  it('lets the first line through at once, then at most one per interval', () => {
    expect(LINE_EVERY_MS).toBe(2_000);
    expect(lineDue(null, 0)).toBe(true);
    expect(lineDue(1_000, 2_999)).toBe(false);
    expect(lineDue(1_000, 3_000)).toBe(true);
    expect(lineDue(1_000, 1_500, 500)).toBe(true);
  });

  it('remembers the last line it let through, not the last time it was asked', () => {
    const due = lineThrottle();
    const polls = Array.from({ length: 41 }, (_, i) => 10_000 + i * 250); // 10 s of polls every 250 ms
    const printed = polls.filter((now) => due(now));
    expect(printed).toEqual([10_000, 12_000, 14_000, 16_000, 18_000, 20_000]);
  });

  it('keeps to the interval when polls are late or irregular', () => {
    const due = lineThrottle(2_000);
    const printed = [0, 1_900, 2_100, 3_000, 4_099, 4_100, 6_500].filter((now) => due(now));
    expect(printed).toEqual([0, 2_100, 4_100, 6_500]);
    for (let i = 1; i < printed.length; i++) expect(printed[i]! - printed[i - 1]!).toBeGreaterThanOrEqual(2_000);
  });
});
