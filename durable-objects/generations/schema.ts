import { migrate, type Migrations } from '../migrations';

/** Storage layout of the generations registry, as additive migrations (see `../migrations.ts`). */
export const GENERATIONS_MIGRATIONS: Migrations = [
  // Written IF NOT EXISTS: a registry created before versions were recorded has these tables already.
  `
  CREATE TABLE IF NOT EXISTS generations (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('active', 'shadow', 'retiring', 'retired')),
    created_at INTEGER NOT NULL,
    until INTEGER);
  -- Signatures of internal calls already accepted, refused if replayed until they expire anyway.
  CREATE TABLE IF NOT EXISTS seen_signatures (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
  -- The rebuild that owns the shadow, and until when it holds it without renewing.
  CREATE TABLE IF NOT EXISTS shadow_leases (generation TEXT PRIMARY KEY, rebuild TEXT NOT NULL, lease_until INTEGER NOT NULL);
  -- Where the deletion of a generation's keys stands: the KV list cursor past the keys deleted so far.
  CREATE TABLE IF NOT EXISTS retirement_cursors (generation TEXT PRIMARY KEY, cursor TEXT, deleted INTEGER NOT NULL);
  -- The rebuilds' status as last reported (generations/rebuilds.ts).
  CREATE TABLE IF NOT EXISTS rebuilds (id TEXT PRIMARY KEY, status TEXT NOT NULL, finished_at INTEGER, reported_at INTEGER NOT NULL);
  `,
  `
  -- The alarm's purge and its next-expiry lookup find expired signatures by index, as a SKU object does, not by a scan.
  CREATE INDEX IF NOT EXISTS seen_signatures_by_expiry ON seen_signatures (expires_at);
  `,
];

export const migrateGenerations = (sql: SqlStorage): void => migrate(sql, GENERATIONS_MIGRATIONS);
