import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { table } from '../cli/table';
import { sqlString, type AuditDatabase } from './database';
import type { AuditQuery } from './queries';

export const FORMATS = ['table', 'csv', 'json', 'parquet'] as const;
export type Format = (typeof FORMATS)[number];

/** Where a result goes: `out`, a file (required for parquet), else `stdout`. */
export type Destination = { format: Format; out?: string | undefined; stdout: NodeJS.WritableStream };

/** A value as JSON holds it: BIGINTs as numbers (counts and versions stay far below 2^53), times as ISO strings. */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

const cell = (value: unknown): string | number | null => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(String).join(' ');
  return JSON.stringify(value);
};

/**
 * Runs the query into the destination and answers how many rows it gave. CSV and Parquet are
 * DuckDB's own COPY (typed columns, the rows streamed, never all in memory here); JSON is an array
 * of objects; a table is for a person (times in ISO, lists space-separated).
 */
export async function writeResult(db: AuditDatabase, query: AuditQuery, destination: Destination): Promise<number> {
  const { format, out, stdout } = destination;
  if (format === 'csv' || format === 'parquet') return copy(db, query, destination);
  const reader = await db.connection.runAndReadAll(query.sql, query.params);
  const rows = reader.getRowObjectsJS().map((row) => plain(row) as Record<string, unknown>);
  const columns = reader.columnNames();
  const text =
    format === 'json'
      ? `${JSON.stringify(rows, null, 2)}\n`
      : rows.length === 0
        ? ''
        : `${table(columns.map((c) => c.toUpperCase()), rows.map((row) => columns.map((c) => cell(row[c]))))}\n`;
  if (out !== undefined) await writeFile(out, text);
  else await write(stdout, text);
  return rows.length;
}

async function copy(db: AuditDatabase, query: AuditQuery, { format, out, stdout }: Destination): Promise<number> {
  const options = format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT parquet, COMPRESSION zstd';
  // Without --out (CSV only): into a file of our own, then onto stdout.
  const dir = out === undefined ? await mkdtemp(join(tmpdir(), 'inventory-audit-')) : null;
  const target = out ?? join(dir!, `result.${format}`);
  try {
    const result = await db.connection.run(`COPY (${query.sql}) TO ${sqlString(target)} (${options})`, query.params);
    if (dir !== null) await pipeline(createReadStream(target), stdout, { end: false });
    return Number(result.rowsChanged);
  } finally {
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  }
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve, reject) => stream.write(text, (error) => (error ? reject(error) : resolve())));
}
