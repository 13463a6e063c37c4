import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ARCHIVE_COLUMNS, type ArchiveRow } from './rows';

const quote = (path: string) => `'${path.replaceAll("'", "''")}'`;
const columns = `{${Object.entries(ARCHIVE_COLUMNS).map(([name, type]) => `${name}: '${type}'`).join(', ')}}`;

/**
 * Archive rows to Parquet bytes and back, with DuckDB (the engine `inventory audit` queries
 * with): rows go through a JSON lines file typed by ARCHIVE_COLUMNS, so the file's schema is
 * that one whatever the rows hold. zstd, row groups of 100,000. One statement at a time.
 */
export class ParquetCodec {
  readonly #db: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  readonly #dir: string;
  #turn: Promise<unknown> = Promise.resolve();
  #files = 0;

  private constructor(db: DuckDBInstance, connection: DuckDBConnection, dir: string) {
    this.#db = db;
    this.#connection = connection;
    this.#dir = dir;
  }

  static async open(): Promise<ParquetCodec> {
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await db.connect();
    return new ParquetCodec(db, connection, await mkdtemp(join(tmpdir(), 'inventory-parquet-')));
  }

  /** The rows, in the order given, as one Parquet file. */
  write(rows: readonly ArchiveRow[]): Promise<Uint8Array> {
    return this.#serially(async () => {
      const n = this.#files++;
      const input = join(this.#dir, `${n}.jsonl`);
      const output = join(this.#dir, `${n}.parquet`);
      try {
        await writeFile(input, rows.map((row) => JSON.stringify(row)).join('\n'));
        await this.#connection.run(
          `COPY (SELECT * FROM read_json(${quote(input)}, format = 'newline_delimited', columns = ${columns}, timestampformat = '%Y-%m-%dT%H:%M:%S.%gZ')) ` +
            `TO ${quote(output)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)`,
        );
        return new Uint8Array(await readFile(output));
      } finally {
        await Promise.all([rm(input, { force: true }), rm(output, { force: true })]);
      }
    });
  }

  /** The `event` column of Parquet files on disk, ordered by stream and version. */
  readEvents(paths: readonly string[]): Promise<{ stream: string; version: number; event: string }[]> {
    if (paths.length === 0) return Promise.resolve([]);
    return this.#serially(async () => {
      const reader = await this.#connection.runAndReadAll(
        `SELECT stream, version, event FROM read_parquet([${paths.map(quote).join(', ')}]) ORDER BY stream, version`,
      );
      return reader.getRowObjectsJS().map((row) => ({ stream: row.stream as string, version: Number(row.version), event: row.event as string }));
    });
  }

  async close(): Promise<void> {
    await this.#turn.catch(() => undefined);
    this.#connection.closeSync();
    this.#db.closeSync();
    await rm(this.#dir, { recursive: true, force: true });
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#turn.catch(() => undefined).then(work);
    this.#turn = run;
    return run;
  }
}
