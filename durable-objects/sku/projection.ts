import { skuCounters, type SkuCounters, type SkuState } from '../../src/domain/sku';

/** Workers KV accepts one write per key per second; faster writes fail or are dropped. */
export const KV_WRITE_INTERVAL_MS = 1_000;

/** A view as stored in KV: the counters, when this object wrote it, and its write count for that key. */
export type StoredView = SkuCounters & { writtenAt: number; seq: number };

export const viewKey = (generation: string, sku: string): string => `view:${generation}:${sku}`;

type WriteRow = { version: number; written_at: number; writes: number };

const lastWrite = (sql: SqlStorage, generation: string): WriteRow | undefined =>
  sql.exec<WriteRow>('SELECT version, written_at, writes FROM projection_writes WHERE generation = ?', generation).toArray()[0];

/** When the view of each generation next needs writing: never if it is current, else once its key may be written again. */
export function projectionDueAt(sql: SqlStorage, generations: readonly string[], version: number, now: number): number | null {
  let due: number | null = null;
  for (const generation of generations) {
    const row = lastWrite(sql, generation);
    if (row && row.version >= version) continue;
    const at = row ? Math.max(now, row.written_at + KV_WRITE_INTERVAL_MS) : now;
    due = due === null ? at : Math.min(due, at);
  }
  return due;
}

export type WriteDecision = { kind: 'write'; view: StoredView } | { kind: 'stale' } | { kind: 'deferred'; at: number };

/** Whether `counters` may go to a generation's key now: only newer than what it holds, at most once a second. */
export function decideWrite(sql: SqlStorage, generation: string, counters: SkuCounters, now: number): WriteDecision {
  const row = lastWrite(sql, generation);
  if (row && row.version >= counters.version) return { kind: 'stale' };
  if (row && row.written_at + KV_WRITE_INTERVAL_MS > now) return { kind: 'deferred', at: row.written_at + KV_WRITE_INTERVAL_MS };
  return { kind: 'write', view: { ...counters, writtenAt: now, seq: (row?.writes ?? 0) + 1 } };
}

/** The object's own view for a generation, if it may be written now. */
export function viewToWrite(sql: SqlStorage, generation: string, state: SkuState, now: number): StoredView | null {
  const decision = decideWrite(sql, generation, skuCounters(state), now);
  return decision.kind === 'write' ? decision.view : null;
}

export function recordWrite(sql: SqlStorage, generation: string, view: StoredView): void {
  sql.exec(
    `INSERT INTO projection_writes (generation, version, written_at, writes) VALUES (?, ?, ?, ?)
     ON CONFLICT (generation) DO UPDATE SET version = excluded.version, written_at = excluded.written_at, writes = excluded.writes`,
    generation, view.version, view.writtenAt, view.seq,
  );
}
