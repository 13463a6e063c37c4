import { skuCounters, type SkuCounters, type SkuState } from '../../src/domain/sku';

/** Workers KV accepts one write per key per second; faster writes fail or are dropped. */
export const KV_WRITE_INTERVAL_MS = 1_000;

/** A view as stored in KV: the counters, when this object wrote it, and its write count for that key. */
export type StoredView = SkuCounters & { writtenAt: number; seq: number };

export const viewKey = (generation: string, sku: string): string => `view:${generation}:${sku}`;

/** What this object last wrote to each generation's key; the object keeps a copy between writes. */
export type WriteRow = { generation: string; version: number; written_at: number; writes: number };

export const loadWrites = (sql: SqlStorage): WriteRow[] => sql.exec<WriteRow>('SELECT * FROM projection_writes').toArray();

/**
 * This object writes the keys of all its generations together, at most once a second: each key
 * then respects the KV limit, and every generation it writes holds the same version, so a reader
 * moving from one generation to another at a switch never sees its SKU go back.
 */
const nextWriteAt = (rows: readonly WriteRow[]): number =>
  rows.reduce((at, row) => Math.max(at, row.written_at + KV_WRITE_INTERVAL_MS), 0);

/** The generations whose view is older than `version`. */
export function lagging(rows: readonly WriteRow[], generations: readonly string[], version: number): string[] {
  const written = new Map(rows.map((r) => [r.generation, r.version]));
  return generations.filter((g) => (written.get(g) ?? 0) < version);
}

/** When the next write is due: never if every generation is current, else once the keys may be written again. */
export function projectionDueAt(rows: readonly WriteRow[], generations: readonly string[], version: number, now: number): number | null {
  return lagging(rows, generations, version).length === 0 ? null : Math.max(now, nextWriteAt(rows));
}

export type WritePlan = { kind: 'write'; writes: { generation: string; view: StoredView }[] } | { kind: 'deferred'; at: number } | { kind: 'current' };

/** What to write now: the object's newest view, to every lagging generation, if a second has passed. */
export function planWrite(rows: readonly WriteRow[], generations: readonly string[], state: SkuState, now: number): WritePlan {
  const targets = lagging(rows, generations, state.version);
  if (targets.length === 0) return { kind: 'current' };
  const at = nextWriteAt(rows);
  if (at > now) return { kind: 'deferred', at };
  const seqs = new Map(rows.map((r) => [r.generation, r.writes]));
  const counters = skuCounters(state);
  return { kind: 'write', writes: targets.map((generation) => ({ generation, view: { ...counters, writtenAt: now, seq: (seqs.get(generation) ?? 0) + 1 } })) };
}

/** The version a generation's key holds, 0 if never written. */
export const writtenVersion = (rows: readonly WriteRow[], generation: string): number =>
  rows.find((r) => r.generation === generation)?.version ?? 0;

export function recordWrite(sql: SqlStorage, generation: string, view: StoredView): void {
  sql.exec(
    `INSERT INTO projection_writes (generation, version, written_at, writes) VALUES (?, ?, ?, ?)
     ON CONFLICT (generation) DO UPDATE SET version = excluded.version, written_at = excluded.written_at, writes = excluded.writes`,
    generation, view.version, view.writtenAt, view.seq,
  );
}
