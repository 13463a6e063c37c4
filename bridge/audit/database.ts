import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ARCHIVE_COLUMNS } from '../archive/rows';

/** A path or a name as an SQL string literal (the only text spliced into the SQL; values go as parameters). */
export const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * The archive files as relations in an in-memory DuckDB:
 *
 * - `events`: every row, once per (stream, version). The archive may hold one event twice: two
 *   replicas that both owned a partition during a handover each wrote it. Both copies are the same
 *   event; the one the log delivered (lowest offset) is kept, a hole the edge filled after it.
 * - `placed`: `events` with what each row's reservation says of it: its customer and quantity
 *   (from its StockReserved) and `at_location`, the row's location, which for an
 *   AllocationConfirmed (it names none) is the reservation's as of then (the StockReserved's, or
 *   the last re-sourcing's `to`). Joined within the stream: a reservation lives in one.
 */
export class AuditDatabase {
  readonly #db: DuckDBInstance;
  readonly connection: DuckDBConnection;

  private constructor(db: DuckDBInstance, connection: DuckDBConnection) {
    this.#db = db;
    this.connection = connection;
  }

  /** `paths`: local Parquet files of the archive; none gives empty relations (no archive yet). */
  static async open(paths: readonly string[], options: { threads?: number | undefined; tempDirectory?: string | undefined } = {}): Promise<AuditDatabase> {
    const db = await DuckDBInstance.create(':memory:', {
      ...(options.threads === undefined ? {} : { threads: String(options.threads) }),
      ...(options.tempDirectory === undefined ? {} : { temp_directory: options.tempDirectory }),
    });
    const connection = await db.connect();
    const audit = new AuditDatabase(db, connection);
    try {
      await audit.#createViews(paths);
    } catch (error) {
      audit.close();
      throw error;
    }
    return audit;
  }

  async #createViews(paths: readonly string[]): Promise<void> {
    // The file's own columns only: the keys' `date=`/`sku=`/`stream=` folders are not read as columns.
    const source =
      paths.length === 0
        ? `(SELECT * FROM (SELECT ${Object.entries(ARCHIVE_COLUMNS).map(([name, type]) => `NULL::${type} AS ${name}`).join(', ')}) WHERE false)`
        : `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true)`;
    await this.connection.run(
      `CREATE TEMP VIEW events AS SELECT ${Object.keys(ARCHIVE_COLUMNS).join(', ')} FROM ${source} ` +
        'QUALIFY row_number() OVER (PARTITION BY stream, version ORDER BY log_offset NULLS LAST) = 1',
    );
    await this.connection.run(`
      CREATE TEMP VIEW placed AS
      SELECT e.*, r.customer_id AS reservation_customer, r.qty AS reservation_qty,
             CASE WHEN e.type = 'AllocationConfirmed' THEN coalesce(p.location, e.location) ELSE e.location END AS at_location
      FROM events e
      LEFT JOIN (SELECT stream, reservation_id, customer_id, qty FROM events WHERE type = 'StockReserved') r
        ON r.stream = e.stream AND r.reservation_id = e.reservation_id
      ASOF LEFT JOIN (SELECT stream, reservation_id, version, location FROM events WHERE type IN ('StockReserved', 'ReservationResourced')) p
        ON p.stream = e.stream AND p.reservation_id = e.reservation_id AND e.version >= p.version`);
  }

  close(): void {
    this.connection.closeSync();
    this.#db.closeSync();
  }
}
