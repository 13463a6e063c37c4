import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ARCHIVE_COLUMNS, type ArchiveRow } from './rows';

const quote = (path: string) => `'${path.replaceAll("'", "''")}'`;
const columns = `{${Object.entries(ARCHIVE_COLUMNS).map(([name, type]) => `${name}: '${type}'`).join(', ')}}`;
/** With the file each row goes to (`g`, the PARTITION_BY column, left out of the files themselves). */
const columnsWithGroup = `${columns.slice(0, -1)}, g: 'INTEGER'}`;

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
  async write(rows: readonly ArchiveRow[]): Promise<Uint8Array> {
    return (await this.writeMany([rows]))[0]!;
  }

  /**
   * Each list of rows as a Parquet file of its own, in one COPY (a flush writes a file per stream
   * and day: one statement for all of them, not one each). Rows keep their order within a file.
   */
  writeMany(files: readonly (readonly ArchiveRow[])[]): Promise<Uint8Array[]> {
    if (files.length === 0) return Promise.resolve([]);
    return this.#serially(async () => {
      const n = this.#files++;
      const input = join(this.#dir, `${n}.jsonl`);
      const output = join(this.#dir, `${n}`);
      try {
        await writeFile(input, files.flatMap((rows, g) => rows.map((row) => JSON.stringify({ ...row, g }))).join('\n'));
        await this.#connection.run(
          `COPY (SELECT * FROM read_json(${quote(input)}, format = 'newline_delimited', columns = ${columnsWithGroup}, timestampformat = '%Y-%m-%dT%H:%M:%S.%gZ') ORDER BY g, stream, version) ` +
            `TO ${quote(output)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000, PARTITION_BY (g))`,
        );
        return await Promise.all(
          files.map(async (_, g) => {
            const dir = join(output, `g=${g}`);
            const written = await readdir(dir);
            if (written.length !== 1) throw new Error(`DuckDB wrote ${written.length} files for one archive file`);
            return new Uint8Array(await readFile(join(dir, written[0]!)));
          }),
        );
      } finally {
        await Promise.all([rm(input, { force: true }), rm(output, { recursive: true, force: true })]);
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
