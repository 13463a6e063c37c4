/**
 * When a SKU object's alarm must next run: one pure function over every kind of work the alarm
 * does, used both at the end of an alarm run (every source read from storage) and after a commit
 * (only the sources the commit may have moved earlier; the alarm is then only ever moved earlier).
 */

/** What the alarm may have to do, each with when it is next due (null or absent: nothing to do). */
export type AlarmSources = {
  /** The next held reservation lapses. */
  expiry: number | null;
  /** The oldest idempotency record may be purged. */
  records: number | null;
  /** The oldest seen signature may be forgotten. */
  signatures: number | null;
  /** The outbox push, after its backoff. */
  relay: number | null;
  /** The KV view write: at most once a second, and after a failed write's retry delay. */
  projection: number | null;
  /** Sibling shards' work: loans to deliver again, watchers to tell that units are back. */
  siblings: number | null;
};

/**
 * Expiries per alarm run. workerd's clock stands still while code runs, so the chunk is bounded by
 * count; while more are due the alarm comes back after STORM_YIELD_MS, and commands run between.
 * A run blocks the object for its whole chunk, so the size trades a storm's drain time for
 * buyers' latency during it. 49,736 holds falling due at once (`npm run bench:storm`): chunks of
 * 250 re-armed at once, buyers' p99 282 ms; 100 re-armed at once, 239 ms (the alarm took the
 * object back before the queued commands ran); 100 with the yield, 151 ms, every hold expired
 * within 23 s (2,147/s).
 */
export const EXPIRIES_PER_ALARM = 100;
/** The pause between two full chunks of expiries, for the commands waiting meanwhile. */
export const STORM_YIELD_MS = 25;

export const earliest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/**
 * The earliest due time of all sources, or null when nothing is due ever. `storm`: the run that
 * asks expired a full chunk, so the next run waits STORM_YIELD_MS and the commands queued behind
 * it are served first rather than the alarm taking the object back at once.
 */
export function nextAlarmAt(sources: Partial<AlarmSources>, now: number, storm = false): number | null {
  const next = Object.values(sources).reduce<number | null>((at, due) => earliest(at, due ?? null), null);
  return next !== null && storm ? Math.max(next, now + STORM_YIELD_MS) : next;
}
