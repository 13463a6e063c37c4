import { join } from 'node:path';
import type { ObjectStore } from '../archive/objectStore';
import { fetchArchiveFiles, type ArchiveSelection, type DownloadProgress, type FetchedFiles } from './archiveFiles';
import { AuditDatabase } from './database';
import { ledgerQuery, type LedgerFilters } from './ledger';
import { writeResult, type Destination } from './output';
import { eventsQuery, totalsQuery, type AuditQuery, type EventFilters, type TotalsFilters } from './queries';
import { daysOf } from './window';

/** One question to the archive (`inventory audit <kind>`). */
export type AuditRequest =
  | { kind: 'events'; filters: EventFilters }
  | { kind: 'totals'; filters: TotalsFilters }
  | { kind: 'ledger'; filters: LedgerFilters };

export type AuditOptions = {
  store: ObjectStore;
  cacheDir: string;
  destination: Destination;
  progress?: ((total: number) => DownloadProgress) | undefined;
  /** DuckDB's threads (default: one per core). */
  threads?: number | undefined;
};

export type AuditResult = { rows: number; files: FetchedFiles };

/**
 * How many days before a window the events query also reads: a row of a reservation gets its
 * customer from the reservation's StockReserved, usually minutes earlier, at worst across midnight.
 * A reservation reserved earlier still (a refund days later) shows no customer: widen --from.
 */
export const RESERVATION_LOOKBACK_DAYS = 1;

/** The files a request needs, chosen by their keys' day and SKU. */
export function selectionOf(request: AuditRequest): ArchiveSelection {
  switch (request.kind) {
    case 'events':
      return { sku: request.filters.sku, days: daysOf(request.filters.window, RESERVATION_LOOKBACK_DAYS) };
    case 'totals':
      return { sku: request.filters.sku, days: daysOf(request.filters.window) };
    case 'ledger':
      // The opening balance is every effect before the day: all history up to it.
      return { sku: request.filters.sku, days: { first: null, last: request.filters.date } };
  }
}

export function queryOf(request: AuditRequest): AuditQuery {
  switch (request.kind) {
    case 'events':
      return eventsQuery(request.filters);
    case 'totals':
      return totalsQuery(request.filters);
    case 'ledger':
      return ledgerQuery(request.filters);
  }
}

/** Downloads what the request needs into the cache, queries it there, writes the result; answers how many rows. */
export async function runAudit(request: AuditRequest, options: AuditOptions): Promise<AuditResult> {
  const files = await fetchArchiveFiles(options.store, selectionOf(request), { cacheDir: options.cacheDir, progress: options.progress });
  const db = await AuditDatabase.open(files.paths, { threads: options.threads, tempDirectory: join(options.cacheDir, 'tmp') });
  try {
    return { rows: await writeResult(db, queryOf(request), options.destination), files };
  } finally {
    db.close();
  }
}
