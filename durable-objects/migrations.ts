/**
 * The one way a Durable Object's SQLite schema grows: a list of migrations that only ever add,
 * applied in order, with `meta.schema_version` recording how many ran, so an object created by
 * an older deploy catches up on first use. A migration is never edited once deployed; a new one
 * is appended. An object whose tables predate the version record starts at 0: its first migration
 * is written `IF NOT EXISTS`, so it adopts the tables it already has.
 */
export type Migrations = readonly string[];

export function schemaVersion(sql: SqlStorage): number {
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
  return row ? Number(row.value) : 0;
}

/** Runs the migrations this database has not run yet; a database ahead of the list (a rollback) is left as it is. */
export function migrate(sql: SqlStorage, migrations: Migrations): void {
  sql.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  for (let i = schemaVersion(sql); i < migrations.length; i++) {
    sql.exec(migrations[i]!);
    sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", String(i + 1));
  }
}
