import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../durable-objects/migrations';
import { CHECKOUT_MIGRATIONS } from '../../durable-objects/checkout/schema';
import { GENERATIONS_MIGRATIONS } from '../../durable-objects/generations/schema';
import { SKU_MIGRATIONS } from '../../durable-objects/sku/schema';
import { uniqueSku } from '../support/api';

/**
 * One way to persist: every object's schema is a list of additive migrations. An object created by
 * an earlier deploy must open with today's code, whatever it has on disk: these build the old
 * layouts by hand (as the code before versioned migrations wrote them) and open them.
 */

const untyped = (stub: unknown) => stub as DurableObjectStub;
const scratch = () => untyped(env.CHECKOUT.getByName(`migrations-${crypto.randomUUID()}`));

/** Tables and indexes of the object, without SQLite's and the runtime's own. */
const schemaOf = (sql: SqlStorage) =>
  sql
    .exec<{ type: string; name: string }>("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY type, name")
    .toArray()
    .map((r) => `${r.type} ${r.name}`);

/** Empties the object's storage, so the test can lay out an older schema by hand. */
function dropAll(sql: SqlStorage): void {
  for (const table of sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray()) {
    sql.exec(`DROP TABLE "${table.name}"`);
  }
}

describe('the migrations helper', () => {
  it('runs what a database has not run yet, in order, once, and records how far it got', async () => {
    await runInDurableObject(scratch(), (_: unknown, state) => {
      const sql = state.storage.sql;
      dropAll(sql);
      migrate(sql, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER)']);
      expect(schemaVersion(sql)).toBe(2);
      expect(schemaOf(sql)).toEqual(['table a', 'table b', 'table meta']);
      // Applied migrations are not run again (a second CREATE TABLE a would throw).
      migrate(sql, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER)']);
      migrate(sql, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER)', 'ALTER TABLE a ADD COLUMN z TEXT']);
      expect(schemaVersion(sql)).toBe(3);
      expect(sql.exec('SELECT * FROM a').columnNames).toEqual(['x', 'z']);
    });
  });

  it('leaves a database ahead of its list (code rolled back) as it is', async () => {
    await runInDurableObject(scratch(), (_: unknown, state) => {
      const sql = state.storage.sql;
      dropAll(sql);
      migrate(sql, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER)']);
      migrate(sql, ['CREATE TABLE a (x INTEGER)']);
      expect(schemaVersion(sql)).toBe(2);
      expect(schemaOf(sql)).toEqual(['table a', 'table b', 'table meta']);
    });
  });

  it('a database with no version record starts at 0: a first migration written IF NOT EXISTS adopts its tables', async () => {
    await runInDurableObject(scratch(), (_: unknown, state) => {
      const sql = state.storage.sql;
      dropAll(sql);
      sql.exec('CREATE TABLE a (x INTEGER)');
      sql.exec('INSERT INTO a VALUES (7)');
      migrate(sql, ['CREATE TABLE IF NOT EXISTS a (x INTEGER)', 'CREATE INDEX a_by_x ON a (x)']);
      expect(schemaVersion(sql)).toBe(2);
      expect(sql.exec<{ x: number }>('SELECT x FROM a').toArray()).toEqual([{ x: 7 }]);
      expect(schemaOf(sql)).toContain('index a_by_x');
    });
  });
});

/** The checkout's tables as Checkout.ts created them before versioned migrations (no meta table). */
const CHECKOUT_SCHEMA_BEFORE_VERSIONS = `
  CREATE TABLE IF NOT EXISTS events (version INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL, at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS outbox (version INTEGER PRIMARY KEY, enqueued_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS relay_state (
    id INTEGER PRIMARY KEY CHECK (id = 1), relayed_version INTEGER NOT NULL, attempts INTEGER NOT NULL,
    next_attempt_at INTEGER, last_error TEXT, last_relayed_at INTEGER
  );
  INSERT OR IGNORE INTO relay_state (id, relayed_version, attempts) VALUES (1, 0, 0);
`;

/** The registry's tables as Generations.ts created them before versioned migrations. */
const GENERATIONS_SCHEMA_BEFORE_VERSIONS = `
  CREATE TABLE IF NOT EXISTS generations (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('active', 'shadow', 'retiring', 'retired')),
    created_at INTEGER NOT NULL,
    until INTEGER);
  CREATE TABLE IF NOT EXISTS seen_signatures (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS shadow_leases (generation TEXT PRIMARY KEY, rebuild TEXT NOT NULL, lease_until INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS retirement_cursors (generation TEXT PRIMARY KEY, cursor TEXT, deleted INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS rebuilds (id TEXT PRIMARY KEY, status TEXT NOT NULL, finished_at INTEGER, reported_at INTEGER NOT NULL);
`;

describe('objects created before versioned migrations open with today’s code', () => {
  it('a checkout keeps its log, outbox and relay progress, and is recorded at the current version', async () => {
    const checkoutId = `chk_${crypto.randomUUID().replaceAll('-', '')}`;
    const stub = untyped(env.CHECKOUT.getByName(checkoutId));
    const started = { checkoutId, customerId: 'ada', lines: [{ sku: uniqueSku('old-chk'), qty: 1 }], ttlSeconds: 300, requestHash: 'h' };
    await runInDurableObject(stub, (_: unknown, state) => {
      const sql = state.storage.sql;
      dropAll(sql);
      sql.exec(CHECKOUT_SCHEMA_BEFORE_VERSIONS);
      sql.exec("INSERT INTO events (version, type, data, at) VALUES (1, 'CheckoutStarted', ?, ?)", JSON.stringify(started), new Date().toISOString());
      sql.exec('INSERT INTO outbox (version, enqueued_at) VALUES (1, 42)');
      sql.exec("UPDATE relay_state SET attempts = 3, last_error = 'bridge down' WHERE id = 1");
    });
    await evictDurableObject(stub);

    expect(await env.CHECKOUT.getByName(checkoutId).view('ada')).toMatchObject({ ok: true, value: { checkoutId, customerId: 'ada', version: 1 } });
    await runInDurableObject(stub, (_: unknown, state) => {
      const sql = state.storage.sql;
      expect(schemaVersion(sql)).toBe(CHECKOUT_MIGRATIONS.length);
      expect(sql.exec('SELECT version, enqueued_at FROM outbox').toArray()).toEqual([{ version: 1, enqueued_at: 42 }]);
      expect(sql.exec('SELECT attempts, last_error FROM relay_state').one()).toEqual({ attempts: 3, last_error: 'bridge down' });
    });
  });

  it('a generations registry keeps its generations and gains the seen_signatures expiry index', async () => {
    const name = `old-registry-${crypto.randomUUID()}`;
    const stub = untyped(env.GENERATIONS.getByName(name));
    const created = Date.now() - 60_000;
    await runInDurableObject(stub, (_: unknown, state) => {
      const sql = state.storage.sql;
      dropAll(sql);
      sql.exec(GENERATIONS_SCHEMA_BEFORE_VERSIONS);
      sql.exec("INSERT INTO generations VALUES ('g1', 'active', ?, NULL), ('g2', 'shadow', ?, NULL)", created, created + 1);
      sql.exec("INSERT INTO shadow_leases VALUES ('g2', 'rebuild-1', ?)", Date.now() + 600_000);
      sql.exec("INSERT INTO seen_signatures VALUES ('sig-1', ?)", Date.now() + 300_000);
    });
    await evictDurableObject(stub);

    expect(await env.GENERATIONS.getByName(name).current()).toEqual({ active: 'g1', shadow: 'g2', retiring: [] });
    await runInDurableObject(stub, (_: unknown, state) => {
      const sql = state.storage.sql;
      expect(schemaVersion(sql)).toBe(GENERATIONS_MIGRATIONS.length);
      expect(sql.exec('SELECT id FROM seen_signatures').toArray()).toEqual([{ id: 'sig-1' }]);
      const plan = (query: string) => sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${query}`).toArray().map((r) => r.detail).join('; ');
      // The alarm's purge and its next-expiry lookup: by index, not a scan of every signature.
      const purge = plan('SELECT id FROM seen_signatures WHERE expires_at <= 5 ORDER BY expires_at LIMIT 10');
      expect(purge).toContain('seen_signatures_by_expiry');
      expect(purge).not.toMatch(/SCAN seen_signatures(?! USING)/);
      expect(plan('SELECT min(expires_at) AS at FROM seen_signatures')).toContain('seen_signatures_by_expiry');
    });
  });

  it('a SKU object from before the re-sourcing count and the allocation reference gains both, 0 and none on its rows: verdicts counting none are taken', async () => {
    const sku = uniqueSku('old-rows');
    const stub = env.SKU.getByName(sku);
    await stub.setStock({ sku, onHand: 4, limitPerCustomer: null });
    const held = await stub.reserve({ sku, customerId: 'c', qty: 2, ttlSeconds: 600 }, { scope: `${sku}\nold-rows`, requestHash: 'h' });
    if (!held.ok) throw new Error(held.error.code);
    await runInDurableObject(untyped(stub), (_: unknown, state) => {
      const sql = state.storage.sql;
      // As the deploy before them left the object: the rows without the two columns, two migrations behind.
      sql.exec('ALTER TABLE reservations DROP COLUMN allocation_reference');
      sql.exec('ALTER TABLE reservations DROP COLUMN resourcings');
      sql.exec("UPDATE meta SET value = ? WHERE key = 'schema_version'", String(SKU_MIGRATIONS.length - 2));
    });
    await evictDurableObject(untyped(stub));

    const { reservationId } = held.value;
    expect(await env.SKU.getByName(sku).confirmAllocation({ sku, reservationId, allocationId: 'A-1', resourcings: 0, reference: reservationId })).toMatchObject({ ok: true, value: { allocation: 'allocated' } });
    await runInDurableObject(untyped(stub), (_: unknown, state) => {
      expect(schemaVersion(state.storage.sql)).toBe(SKU_MIGRATIONS.length);
      const row = 'SELECT resourcings, allocation_reference FROM reservations WHERE reservation_id = ?';
      expect(state.storage.sql.exec(row, reservationId).toArray()).toEqual([{ resourcings: 0, allocation_reference: reservationId }]);
    });
  });

  it('a SKU object at an older schema version catches up, keeping its log', async () => {
    const sku = uniqueSku('old-sku');
    const stub = untyped(env.SKU.getByName(sku));
    const at = new Date().toISOString();
    await runInDurableObject(stub, (_: unknown, state) => {
      const sql = state.storage.sql;
      dropAll(sql);
      // As a deploy with the first three migrations left it: whole-state snapshots, no reservation rows.
      migrate(sql, SKU_MIGRATIONS.slice(0, 3));
      sql.exec("INSERT INTO meta (key, value) VALUES ('sku', ?)", sku);
      sql.exec("INSERT INTO events (version, type, at, caused_by, data) VALUES (1, 'StockSet', ?, '{}', ?)", at, JSON.stringify({ onHand: 4, limitPerCustomer: null }));
      sql.exec('INSERT INTO outbox (version, enqueued_at) VALUES (1, 1)');
    });
    await evictDurableObject(stub);

    expect(await env.SKU.getByName(sku).counters(sku)).toMatchObject({ ok: true, value: { version: 1, onHand: 4, available: 4 } });
    await runInDurableObject(stub, (_: unknown, state) => {
      const sql = state.storage.sql;
      expect(schemaVersion(sql)).toBe(SKU_MIGRATIONS.length);
      expect(schemaOf(sql)).toEqual(expect.arrayContaining(['table reservations', 'table loans', 'table empty_watchers', 'table sku_state']));
      expect(schemaOf(sql)).not.toContain('table snapshots');
      expect(sql.exec('SELECT version FROM outbox').toArray()).toEqual([{ version: 1 }]);
    });
  });
});
