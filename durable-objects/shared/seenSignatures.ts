import { PURGE_CHUNK } from './purge';

/** Records an internal call's signature; false when it was seen before (a replay). */
export function acceptSignature(sql: SqlStorage, id: string, expiresAt: number): boolean {
  return sql.exec('INSERT INTO seen_signatures (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', id, expiresAt).rowsWritten > 0;
}

/** An expired signature is refused by its timestamp already; remembering it is no longer needed. */
export function purgeSeenSignatures(sql: SqlStorage, now: number): void {
  sql.exec(
    'DELETE FROM seen_signatures WHERE id IN (SELECT id FROM seen_signatures WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)',
    now, PURGE_CHUNK,
  );
}

export function nextSignatureExpiry(sql: SqlStorage): number | null {
  return sql.exec<{ at: number | null }>('SELECT min(expires_at) AS at FROM seen_signatures').one().at;
}
