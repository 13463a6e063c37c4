import { migrate, type Migrations } from '../migrations';

/**
 * Storage layout of one SKU object, as additive migrations (see `../migrations.ts`). The outbox
 * and relay_state tables are the shape `../relay/outbox.ts` works on, shared with the checkout.
 */
export const SKU_MIGRATIONS: Migrations = [
  `
  CREATE TABLE events (
    version INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    caused_by TEXT NOT NULL,
    data TEXT NOT NULL,
    reservation_id TEXT
  );
  CREATE INDEX events_by_reservation ON events (reservation_id) WHERE reservation_id IS NOT NULL;
  -- The log is the audit trail: a mistake is undone by a new event, never by an edit.
  CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
  CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

  CREATE TABLE snapshots (
    version INTEGER NOT NULL,
    chunk INTEGER NOT NULL,
    chunks INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (version, chunk)
  );

  CREATE TABLE idempotency (
    scope TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    outcome TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX idempotency_by_age ON idempotency (created_at);

  -- Transactional outbox: one row per committed event not yet acknowledged by the bridge.
  CREATE TABLE outbox (version INTEGER PRIMARY KEY, enqueued_at INTEGER NOT NULL);
  `,
  `
  -- Progress of the outbox push to the bridge: what it acknowledged, and the backoff while it fails.
  CREATE TABLE relay_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    relayed_version INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER,
    last_error TEXT,
    last_relayed_at INTEGER
  );
  INSERT INTO relay_state (id, relayed_version, attempts) VALUES (1, 0, 0);

  -- Signatures of internal calls already accepted, refused if replayed until they expire anyway.
  CREATE TABLE seen_signatures (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
  CREATE INDEX seen_signatures_by_expiry ON seen_signatures (expires_at);
  `,
  `
  -- The read model this object last wrote to KV, per generation: KV takes one write per key per
  -- second, and a view must never be replaced by an older one.
  CREATE TABLE projection_writes (
    generation TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    written_at INTEGER NOT NULL,
    writes INTEGER NOT NULL
  );
  `,
  `
  -- Cost bounded by live work: the decision state is one row of counters, and each reservation
  -- is a row found by index (by id; by customer while active, for the limit; by expiry while
  -- held, for the alarm), written in the command's transaction. Whole-state snapshots are gone:
  -- they grew with the history and were rewritten inside commands.
  CREATE TABLE sku_state (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
  CREATE TABLE reservations (
    reservation_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    qty INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    allocation TEXT NOT NULL,
    allocation_id TEXT,
    release_reason TEXT,
    refund_due INTEGER NOT NULL,
    reserved_at_version INTEGER NOT NULL,
    version INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX reservations_held_by_expiry ON reservations (expires_at) WHERE status = 'held';
  CREATE INDEX reservations_active_by_customer ON reservations (customer_id) WHERE status <> 'released';
  DROP TABLE snapshots;
  `,
  `
  -- Sharded stock: every transfer this shard took part in, by id, so a repeated request or a
  -- redelivery changes nothing; a loan out stays undelivered until the borrower acknowledged it.
  CREATE TABLE loans (
    transfer_id TEXT PRIMARY KEY,
    direction TEXT NOT NULL,
    peer TEXT NOT NULL,
    qty INTEGER NOT NULL,
    version INTEGER NOT NULL,
    delivered INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX loans_undelivered ON loans (version) WHERE direction = 'out' AND delivered = 0;
  -- Siblings told that this shard was empty (and the undrain round then): each is told again
  -- (an undrain) when units come back, so none refuses buyers while units sit here.
  CREATE TABLE empty_watchers (stream TEXT PRIMARY KEY, round INTEGER NOT NULL) WITHOUT ROWID;
  `,
  `
  -- Versioned events (ADR 0012): the schema version each event was written at. NULL on events
  -- written before versions were stamped: their shape tells it (src/domain/sku/upcast.ts).
  ALTER TABLE events ADD COLUMN schema_version INTEGER;
  `,
  `
  -- Locations: the site a reservation's units were taken from, so that a release or a completion
  -- moves that site's counters. NULL on a SKU that named no location (the implicit default).
  ALTER TABLE reservations ADD COLUMN location TEXT;
  `,
  `
  -- Shortfalls: a location short of stock reads its active reservations newest first, by index,
  -- only as many as cover the units it is short (sku/shortfallRows.ts).
  CREATE INDEX reservations_active_by_location ON reservations (location, status, reserved_at_version) WHERE status <> 'released';
  `,
  `
  -- Locations on a sharded SKU: a loan moves units of one location, and its redelivery must name it.
  ALTER TABLE loans ADD COLUMN location TEXT;
  `,
  `
  -- How many times a reservation was re-sourced: a saga's verdict decided before the latest one is
  -- refused, even back at the same location (ADR 0015). Rows from before: none counted yet.
  ALTER TABLE reservations ADD COLUMN resourcings INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- The warehouse reference an allocation was confirmed under: the events that move or release
  -- the units name it, so a saga reopened after its retirement cancels it. Rows from before: unknown.
  ALTER TABLE reservations ADD COLUMN allocation_reference TEXT;
  `,
];

export const migrateSku = (sql: SqlStorage): void => migrate(sql, SKU_MIGRATIONS);
