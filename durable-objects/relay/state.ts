/** What the outbox push has achieved, as shown to operators (admin relay route, CLI). */
export type RelayStatus = {
  relayedVersion: number;
  pending: number;
  oldestPendingAt: number | null;
  attempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
  lastRelayedAt: number | null;
};

type StateRow = {
  relayed_version: number;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  last_relayed_at: number | null;
};

/**
 * O(1) whatever the backlog: every event gets an outbox row and acknowledged rows go from the
 * front, so the pending rows are one run of versions and two lookups by key count them. (A scan
 * of the outbox on every command slowed writes exactly while the bridge was down.)
 */
export function relayStatus(sql: SqlStorage): RelayStatus {
  const state = sql.exec<StateRow>('SELECT * FROM relay_state WHERE id = 1').one();
  const first = sql.exec<{ version: number; enqueued_at: number }>('SELECT version, enqueued_at FROM outbox ORDER BY version LIMIT 1').toArray()[0];
  const last = sql.exec<{ version: number }>('SELECT version FROM outbox ORDER BY version DESC LIMIT 1').toArray()[0];
  return {
    relayedVersion: state.relayed_version,
    pending: first && last ? last.version - first.version + 1 : 0,
    oldestPendingAt: first?.enqueued_at ?? null,
    attempts: state.attempts,
    nextAttemptAt: state.next_attempt_at,
    lastError: state.last_error,
    lastRelayedAt: state.last_relayed_at,
  };
}

/** When the next push is due: never with nothing pending, at once unless a failure set a backoff. */
export function relayDueAt(sql: SqlStorage, now: number): number | null {
  const { pending, attempts, nextAttemptAt } = relayStatus(sql);
  if (pending === 0) return null;
  return attempts === 0 || nextAttemptAt === null ? now : Math.max(now, nextAttemptAt);
}

/** The bridge acknowledged everything up to `version`: those outbox rows are done (events stay). */
export function recordRelayed(sql: SqlStorage, version: number, now: number): void {
  sql.exec('DELETE FROM outbox WHERE version <= ?', version);
  sql.exec(
    `UPDATE relay_state SET relayed_version = max(relayed_version, ?), attempts = 0, next_attempt_at = NULL,
       last_error = NULL, last_relayed_at = ? WHERE id = 1`,
    version, now,
  );
}

export function recordRelayFailure(sql: SqlStorage, error: string, now: number, backoffMs: (attempts: number) => number): void {
  const { attempts } = sql.exec<{ attempts: number }>('SELECT attempts FROM relay_state WHERE id = 1').one();
  sql.exec(
    'UPDATE relay_state SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = 1',
    attempts + 1, now + backoffMs(attempts + 1), error.slice(0, 500),
  );
}

/**
 * Exponential backoff from 500 ms, capped, with jitter so that every object of a flash sale does
 * not hit a recovering bridge in the same instant. `random` is in [0, 1).
 */
export const relayBackoffMs = (attempts: number, maxMs: number, random: number): number =>
  Math.round(Math.min(maxMs, 500 * 2 ** Math.min(attempts - 1, 30)) * (0.5 + random / 2));
