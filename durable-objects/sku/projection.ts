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

/** The view to write now to a generation, or null if it is current or was written less than a second ago. */
export function viewToWrite(sql: SqlStorage, generation: string, state: SkuState, now: number): StoredView | null {
  const row = lastWrite(sql, generation);
  if (row && (row.version >= state.version || row.written_at + KV_WRITE_INTERVAL_MS > now)) return null;
  return { ...skuCounters(state), writtenAt: now, seq: (row?.writes ?? 0) + 1 };
}

export function recordWrite(sql: SqlStorage, generation: string, view: StoredView): void {
  sql.exec(
    `INSERT INTO projection_writes (generation, version, written_at, writes) VALUES (?, ?, ?, ?)
     ON CONFLICT (generation) DO UPDATE SET version = excluded.version, written_at = excluded.written_at, writes = excluded.writes`,
    generation, view.version, view.writtenAt, view.seq,
  );
}
