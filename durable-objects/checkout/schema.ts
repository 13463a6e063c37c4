import { migrate, type Migrations } from '../migrations';

/**
 * Storage layout of one checkout coordinator, as additive migrations (see `../migrations.ts`): its
 * log, and the outbox that relays it to `inventory.checkouts` (the tables `../relay/outbox.ts`
 * works on, as in a SKU object).
 */
export const CHECKOUT_MIGRATIONS: Migrations = [
  // Written IF NOT EXISTS: checkouts created before versions were recorded have these tables already.
  `
  CREATE TABLE IF NOT EXISTS events (version INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL, at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS outbox (version INTEGER PRIMARY KEY, enqueued_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS relay_state (
    id INTEGER PRIMARY KEY CHECK (id = 1), relayed_version INTEGER NOT NULL, attempts INTEGER NOT NULL,
    next_attempt_at INTEGER, last_error TEXT, last_relayed_at INTEGER
  );
  INSERT OR IGNORE INTO relay_state (id, relayed_version, attempts) VALUES (1, 0, 0);
  `,
];

export const migrateCheckout = (sql: SqlStorage): void => migrate(sql, CHECKOUT_MIGRATIONS);
