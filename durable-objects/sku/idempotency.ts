import { PURGE_CHUNK } from '../shared/purge';
import type { Outcome } from '../../src/contract/outcome';

/**
 * Stripe's idempotency rules, kept beside the events so a command's record commits in the same
 * transaction as its effects: the first outcome (errors too) is stored and replayed; another
 * request body under the same key is refused.
 */
export type IdempotencyInput = {
  /** (key owner, customerId, route, key): replays cannot leak across callers. */
  scope: string;
  /** SHA-256 of the normalised request. */
  requestHash: string;
};

/** Kept at least 24 h as promised to clients; twice that, so clock skew never cuts it short. */
export const IDEMPOTENCY_RETENTION_MS = 48 * 60 * 60 * 1000;

export type StoredOutcome = { requestHash: string; outcome: string };

export function findRecord(sql: SqlStorage, scope: string): StoredOutcome | null {
  const row = sql
    .exec<{ request_hash: string; outcome: string }>('SELECT request_hash, outcome FROM idempotency WHERE scope = ?', scope)
    .toArray()[0];
  return row ? { requestHash: row.request_hash, outcome: row.outcome } : null;
}

/** The first outcome under this scope, again; another request under it is refused. Null if none. */
export function replay<T>(sql: SqlStorage, idempotency: IdempotencyInput): Outcome<T> | null {
  const record = findRecord(sql, idempotency.scope);
  if (!record) return null;
  if (record.requestHash !== idempotency.requestHash) return { ok: false, error: { code: 'idempotency_key_reused' } };
  return { ...(JSON.parse(record.outcome) as Outcome<T>), replayed: true };
}

export function saveRecord(sql: SqlStorage, input: IdempotencyInput, outcome: unknown, now: number): void {
  sql.exec(
    'INSERT INTO idempotency (scope, request_hash, outcome, created_at) VALUES (?, ?, ?, ?)',
    input.scope, input.requestHash, JSON.stringify(outcome), now,
  );
}

/**
 * At most `PURGE_CHUNK` rows a run, oldest first: a flash sale leaves hundreds of thousands of
 * records falling due together, and one unbounded delete would hold the object for seconds. What
 * is left is due at once, so the alarm comes straight back for it.
 */
export function purgeExpiredRecords(sql: SqlStorage, now: number): void {
  sql.exec(
    'DELETE FROM idempotency WHERE scope IN (SELECT scope FROM idempotency WHERE created_at <= ? ORDER BY created_at LIMIT ?)',
    now - IDEMPOTENCY_RETENTION_MS, PURGE_CHUNK,
  );
}

/** When the oldest record falls due for purging, or null if there is none. */
export function nextPurgeAt(sql: SqlStorage): number | null {
  const row = sql.exec<{ oldest: number | null }>('SELECT MIN(created_at) AS oldest FROM idempotency').one();
  return row.oldest === null ? null : row.oldest + IDEMPOTENCY_RETENTION_MS;
}
