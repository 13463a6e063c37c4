import type { Loan, SkuEvent } from '../../src/domain/sku';
import { loanOf } from '../../src/domain/sku';

/**
 * Transfers between shards, as rows: one per transfer id on each side. Written in the command's
 * transaction with its event, so a transfer is recorded exactly when its event is.
 */
type Row = { transfer_id: string; direction: Loan['direction']; peer: string; qty: number; version: number; location: string | null };
const COLUMNS = 'transfer_id, direction, peer, qty, version, location';
const loanOfRow = (row: Row): Loan => ({ transferId: row.transfer_id, direction: row.direction, peer: row.peer, qty: row.qty, version: row.version, location: row.location });

export function loadLoan(sql: SqlStorage, transferId: string): Loan | null {
  const row = sql.exec<Row>(`SELECT ${COLUMNS} FROM loans WHERE transfer_id = ?`, transferId).toArray()[0];
  return row ? loanOfRow(row) : null;
}

/** Records the transfer an event made, if it made one. A borrowed loan is delivered by definition. */
export function saveLoanOf(sql: SqlStorage, event: SkuEvent): void {
  const loan = loanOf(event);
  if (!loan) return;
  sql.exec(
    'INSERT INTO loans (transfer_id, direction, peer, qty, version, delivered, location) VALUES (?, ?, ?, ?, ?, ?, ?)',
    loan.transferId, loan.direction, loan.peer, loan.qty, loan.version, loan.direction === 'in' ? 1 : 0, loan.location,
  );
}

/** Loans out the borrower has not acknowledged, oldest first, lent at or before `version`. */
export const undeliveredLoans = (sql: SqlStorage, limit: number): Loan[] =>
  sql
    .exec<Row>(`SELECT ${COLUMNS} FROM loans WHERE direction = 'out' AND delivered = 0 ORDER BY version LIMIT ?`, limit)
    .toArray()
    .map(loanOfRow);

export const markDelivered = (sql: SqlStorage, transferId: string): void => {
  sql.exec('UPDATE loans SET delivered = 1 WHERE transfer_id = ?', transferId);
};

export const hasUndeliveredLoans = (sql: SqlStorage): boolean =>
  sql.exec("SELECT 1 FROM loans WHERE direction = 'out' AND delivered = 0 LIMIT 1").toArray().length > 0;

/** Siblings that last heard this shard was empty, and the undrain round they heard it in. */
export const emptyWatchers = (sql: SqlStorage): string[] =>
  sql.exec<{ stream: string }>('SELECT stream FROM empty_watchers').toArray().map((r) => r.stream);

export const addEmptyWatcher = (sql: SqlStorage, stream: string, round: number): void => {
  sql.exec('INSERT INTO empty_watchers (stream, round) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET round = excluded.round', stream, round);
};

/** Told of round `round`: forgotten, unless it heard "empty" again in that round since. */
export const removeEmptyWatcher = (sql: SqlStorage, stream: string, round: number): void => {
  sql.exec('DELETE FROM empty_watchers WHERE stream = ? AND round < ?', stream, round);
};
