import type { z } from 'zod';
import type { RebuildReportSchema, RebuildStatus, Rebuilds } from '../../src/contract/rebuildStatus';

/**
 * The rebuilds' status, kept by the registry so that every bridge replica answers `projections
 * status` alike (ADR 0006): the running one as its bridge last reported it (with each lease
 * renewal), and the last FINISHED_KEPT finished ones as they ended (invariant bounded-by-live-work).
 */
export const FINISHED_KEPT = 5;

export type ReportedRebuild = z.infer<typeof RebuildReportSchema>;
type Row = { id: string; status: string; finished_at: number | null; reported_at: number };

const rowOf = (sql: SqlStorage, id: string): Row | null => sql.exec<Row>('SELECT * FROM rebuilds WHERE id = ?', id).toArray()[0] ?? null;
const statusOf = (row: Row): RebuildStatus => ({ ...(JSON.parse(row.status) as RebuildStatus), reportedAt: row.reported_at });

function save(sql: SqlStorage, status: RebuildStatus, finishedAt: number | null, now: number): void {
  sql.exec(
    `INSERT INTO rebuilds (id, status, finished_at, reported_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at, reported_at = excluded.reported_at`,
    status.id, JSON.stringify(status), finishedAt, now,
  );
  if (finishedAt !== null) {
    sql.exec(
      `DELETE FROM rebuilds WHERE finished_at IS NOT NULL AND id NOT IN
       (SELECT id FROM rebuilds WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?)`,
      FINISHED_KEPT,
    );
  }
}

/**
 * The progress of the rebuild `id` (the lease's holder: the registry, not the report, says whose
 * it is). A finished one is never set running again by a late renewal.
 */
export function recordProgress(sql: SqlStorage, id: string, report: ReportedRebuild, now: number): void {
  if (rowOf(sql, id)?.finished_at != null) return;
  save(sql, { ...report, id, state: 'running', finishedAt: null, leaseUntil: null, reportedAt: null }, null, now);
}

/**
 * The rebuild `id` ended as `state`: with the bridge's own last status when it sent one, else
 * with what the registry last heard of it and `error` as the reason. A switched one is final.
 */
export function recordFinished(sql: SqlStorage, id: string, state: 'switched' | 'failed', now: number, report?: ReportedRebuild, error?: string): void {
  const row = rowOf(sql, id);
  if (row && statusOf(row).state === 'switched') return;
  const known = report ?? (row ? statusOf(row) : null);
  if (!known) return;
  const finishedAt = known.finishedAt ?? now;
  const ended: RebuildStatus = {
    ...known,
    id,
    state,
    ...(state === 'switched' ? { phase: 'done' as const, error: null } : { error: report?.error ?? error ?? known.error }),
    finishedAt,
    etaSeconds: null,
    leaseUntil: null,
    reportedAt: null,
  };
  // Ordered by the registry's clock, one clock for every bridge's rebuilds.
  save(sql, ended, now, now);
}

/** The running rebuild (the holder of the shadow's lease, if it reported) and the finished ones, newest first. */
export function listRebuilds(sql: SqlStorage, lease: { rebuild: string; lease_until: number } | null): Rebuilds {
  const running = lease ? rowOf(sql, lease.rebuild) : null;
  return {
    running: running && running.finished_at === null ? { ...statusOf(running), leaseUntil: lease!.lease_until } : null,
    finished: sql.exec<Row>('SELECT * FROM rebuilds WHERE finished_at IS NOT NULL ORDER BY finished_at DESC').toArray().map(statusOf),
  };
}
