import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextAlarmAt, STORM_YIELD_MS, type AlarmSources } from '../../../durable-objects/sku/alarmSchedule';

const NOW = 1_700_000_000_000;
const none: AlarmSources = { expiry: null, records: null, signatures: null, relay: null, projection: null, siblings: null };
const SOURCES = Object.keys(none) as (keyof AlarmSources)[];

describe("the SKU object's next alarm", () => {
  it('is never when no source has work', () => {
    expect(nextAlarmAt(none, NOW)).toBeNull();
    expect(nextAlarmAt({}, NOW)).toBeNull();
    expect(nextAlarmAt(none, NOW, true)).toBeNull();
  });

  it.each(SOURCES)('is the due time of %s when it is the only source with work', (source) => {
    expect(nextAlarmAt({ ...none, [source]: NOW + 1_234 }, NOW)).toBe(NOW + 1_234);
  });

  it('is the earliest of all sources, whichever it is and whichever are absent', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...SOURCES), fc.option(fc.integer({ min: -60_000, max: 600_000 }), { nil: null })), (offsets) => {
        const sources = Object.fromEntries(Object.entries(offsets).map(([k, v]) => [k, v === null ? null : NOW + v]));
        const due = Object.values(sources).filter((t): t is number => t !== null);
        expect(nextAlarmAt(sources, NOW)).toBe(due.length === 0 ? null : Math.min(...due));
      }),
    );
  });

  it('keeps a due time already past (an overdue source runs at once, not never)', () => {
    expect(nextAlarmAt({ relay: NOW - 5_000, expiry: NOW + 60_000 }, NOW)).toBe(NOW - 5_000);
  });

  it('after a full chunk of expiries (a storm) waits the yield, so queued commands run first', () => {
    expect(nextAlarmAt({ expiry: NOW - 10 }, NOW, true)).toBe(NOW + STORM_YIELD_MS);
    expect(nextAlarmAt({ expiry: NOW, relay: NOW }, NOW, true)).toBe(NOW + STORM_YIELD_MS);
  });

  it('in a storm, a deadline later than the yield is kept as it is', () => {
    expect(nextAlarmAt({ expiry: NOW + 10_000, records: NOW + 20_000 }, NOW, true)).toBe(NOW + 10_000);
  });
});
