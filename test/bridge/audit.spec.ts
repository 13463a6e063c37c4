import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveKey, dayOf } from '../../bridge/archive/keys';
import { startLocalS3, type LocalS3 } from '../../bridge/archive/localS3';
import type { S3ObjectStore } from '../../bridge/archive/objectStore';
import { ParquetCodec } from '../../bridge/archive/parquet';
import { archiveRow, type ArchiveRow } from '../../bridge/archive/rows';
import { objectStoreFromEnv } from '../../bridge/archive/storeConfig';
import type { Format } from '../../bridge/audit/output';
import { runAudit, type AuditRequest } from '../../bridge/audit/run';
import { dayWindow } from '../../bridge/audit/window';
import { locationsOf, skuLedgerDecider, skuOf, type SkuCommand, type SkuEvent, type SkuLedger } from '../../src/domain/sku';
import { runCli } from '../e2e/support/cli';
import { freePort } from '../e2e/support/processes';

/**
 * `inventory audit` over a real archive: a small sale folded by the domain (two locations, a SKU
 * sharded over two streams, a second SKU without locations) across two days, its rows written as
 * the archiver writes them (one Parquet file per stream and day) into a local S3 server, plus one
 * file that overlaps another (two owners during a handover). The queries are asked directly, the
 * exports and exit codes through the real binary.
 */
const SKU = 'AUDIT-1';
const SHARD1 = 'AUDIT-1~1';
const OTHER = 'OTHER-9';
const DAY1 = '2025-03-01';
const DAY2 = '2025-03-02';
const BUCKET = 'audit-spec';
const rid = (n: number, shard = 0) => `res_${String(n).padStart(26, '0')}${shard === 0 ? '' : `_${shard}`}`;
const admin = { kind: 'admin' as const, keyId: 'spec-key' };

/** The sale as the objects would decide it: each stream's ledger, and every event as an archive row in log order. */
class Sale {
  readonly ledgers = new Map<string, SkuLedger>();
  readonly rows: ArchiveRow[] = [];
  #offset = 100;

  run(stream: string, at: string, command: SkuCommand): readonly SkuEvent[] {
    const ledger = this.ledgers.get(stream) ?? skuLedgerDecider.initialState();
    const decision = skuLedgerDecider.decide(command, ledger, Date.parse(at));
    if (!decision.ok) throw new Error(`${command.type} on ${stream}: ${JSON.stringify(decision.error)}`);
    for (const event of decision.value) {
      const before = ledger.state;
      skuLedgerDecider.evolve(ledger, event);
      this.rows.push(archiveRow(event, before, ledger.state, { partition: 0, offset: String(this.#offset++) }));
    }
    this.ledgers.set(stream, ledger);
    return decision.value;
  }
}

function playSale(): Sale {
  const sale = new Sale();
  const d1 = (minute: number) => `${DAY1}T08:${String(minute).padStart(2, '0')}:00.000Z`;
  const d2 = (minute: number) => `${DAY2}T09:${String(minute).padStart(2, '0')}:00.000Z`;
  // Day 1: stock set at two locations, a loan to shard 1, a sale at FRA-1, a cancel on shard 1, a warehouse receipt.
  sale.run(SKU, d1(0), { type: 'SetStock', data: { sku: SKU, onHand: 10, shards: 2, location: 'AMS-1', region: 'eu-west', cause: admin } });
  sale.run(SKU, d1(1), { type: 'SetStock', data: { sku: SKU, onHand: 5, shards: 2, location: 'FRA-1', region: 'eu-central', cause: admin } });
  sale.run(SHARD1, d1(2), { type: 'SetStock', data: { sku: SHARD1, onHand: 0, shards: 2, location: 'AMS-1', region: 'eu-west' } });
  sale.run(SKU, d1(3), { type: 'LendStock', data: { transferId: 't-1', to: SHARD1, want: 3, location: 'AMS-1' } });
  sale.run(SHARD1, d1(4), { type: 'ReceiveLoan', data: { transferId: 't-1', from: SKU, qty: 5, location: 'AMS-1' } });
  sale.run(SKU, d1(5), { type: 'Reserve', data: { sku: SKU, reservationId: rid(1), customerId: 'cust-a', qty: 2, ttlSeconds: 600, region: 'eu-central' } });
  sale.run(SKU, d1(6), { type: 'ConfirmAllocation', data: { reservationId: rid(1), allocationId: 'ALLOC-1', location: 'FRA-1', resourcings: 0 } });
  sale.run(SKU, d1(7), { type: 'CompletePurchase', data: { reservationId: rid(1), customerId: 'cust-a' } });
  sale.run(SHARD1, d1(8), { type: 'Reserve', data: { sku: SHARD1, reservationId: rid(2, 1), customerId: 'cust-b', qty: 1, ttlSeconds: 600, region: 'eu-west' } });
  sale.run(SHARD1, d1(9), { type: 'CancelReservation', data: { reservationId: rid(2, 1), customerId: 'cust-b' } });
  sale.run(SKU, d1(10), { type: 'ApplyMovement', data: { sku: SKU, warehouse: 'soap-1', document: 'RCPT-1', sequence: 1, movement: 'receipt', location: 'FRA-1', delta: 4 } });
  sale.run(OTHER, d1(11), { type: 'SetStock', data: { sku: OTHER, onHand: 7, cause: admin } });
  // Reserved just before midnight, bought just after: its day-2 rows find their customer on day 1.
  sale.run(OTHER, `${DAY1}T23:50:00.000Z`, { type: 'Reserve', data: { sku: OTHER, reservationId: rid(9), customerId: 'cust-a', qty: 1, ttlSeconds: 3_600 } });
  // Day 2: a sale re-sourced from FRA-1 to AMS-1 and allocated there, an expiry, a damage, a receipt, a sale on shard 1.
  sale.run(SKU, d2(0), { type: 'Reserve', data: { sku: SKU, reservationId: rid(3), customerId: 'cust-a', qty: 3, ttlSeconds: 600, region: 'eu-central' } });
  sale.run(SKU, d2(1), { type: 'FailAllocation', data: { reservationId: rid(3), reason: 'wms_rejected', tried: ['FRA-1'], location: 'FRA-1', resourcings: 0 } });
  sale.run(SKU, d2(2), { type: 'ConfirmAllocation', data: { reservationId: rid(3), allocationId: 'ALLOC-3', reference: 'REF-3', location: 'AMS-1', resourcings: 1 } });
  sale.run(SKU, d2(3), { type: 'CompletePurchase', data: { reservationId: rid(3), customerId: 'cust-a' } });
  sale.run(SKU, d2(4), { type: 'Reserve', data: { sku: SKU, reservationId: rid(4), customerId: 'cust-c', qty: 1, ttlSeconds: 60, region: 'eu-west' } });
  sale.run(SKU, d2(6), { type: 'ExpireReservation', data: { reservationId: rid(4) } });
  sale.run(SKU, d2(7), { type: 'ApplyMovement', data: { sku: SKU, warehouse: 'soap-1', document: 'DMG-2', sequence: 2, movement: 'damage', location: 'FRA-1', delta: -1 } });
  sale.run(SKU, d2(8), { type: 'ReceiveStock', data: { sku: SKU, qty: 2, location: 'AMS-1', cause: admin } });
  sale.run(SHARD1, d2(9), { type: 'Reserve', data: { sku: SHARD1, reservationId: rid(5, 1), customerId: 'cust-b', qty: 2, ttlSeconds: 600, region: 'eu-west' } });
  sale.run(SHARD1, d2(10), { type: 'CompletePurchase', data: { reservationId: rid(5, 1), customerId: 'cust-b' } });
  sale.run(OTHER, `${DAY2}T00:10:00.000Z`, { type: 'CompletePurchase', data: { reservationId: rid(9), customerId: 'cust-a' } });
  return sale;
}

const sale = playSale();
let dir = '';
let s3: LocalS3;
let store: S3ObjectStore;
let env: Record<string, string> = {};

/** Writes rows as the archiver does: one file per stream and UTC day, keyed by the versions it holds. */
async function archive(target: S3ObjectStore, rows: readonly ArchiveRow[]): Promise<number> {
  const groups = new Map<string, ArchiveRow[]>();
  for (const row of rows) {
    const group = `${dayOf(row.occurred_at)}|${row.stream}`;
    groups.set(group, [...(groups.get(group) ?? []), row]);
  }
  const codec = await ParquetCodec.open();
  try {
    for (const [group, fileRows] of groups) {
      const [date, stream] = group.split('|') as [string, string];
      await target.put(archiveKey({ date, stream, from: fileRows[0]!.version, to: fileRows.at(-1)!.version }), await codec.write(fileRows));
    }
  } finally {
    await codec.close();
  }
  return groups.size;
}

/** Asks the archive directly (no CLI), answering the JSON result and what was downloaded. */
async function ask(request: AuditRequest, cacheDir = join(dir, 'cache')) {
  let text = '';
  const stdout = new Writable({ write: (chunk: Buffer, _encoding, done) => ((text += chunk.toString()), done()) });
  const result = await runAudit(request, { store, cacheDir, destination: { format: 'json' satisfies Format, stdout }, threads: 1 });
  return { rows: JSON.parse(text) as Record<string, any>[], result };
}

const always = { from: null, to: null };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-spec-'));
  s3 = await startLocalS3({ directory: join(dir, 's3') });
  env = { ARCHIVE_S3_ENDPOINT: s3.endpoint, ARCHIVE_S3_BUCKET: BUCKET };
  store = objectStoreFromEnv(env);
  await store.ensureBucket();
  await archive(store, sale.rows);
  // A handover: the next owner wrote shard 0's day-1 events 3 to 6 again, from the edge (no offsets).
  const overlap = sale.rows.filter((r) => r.stream === SKU && dayOf(r.occurred_at) === DAY1 && r.version >= 3 && r.version <= 6).map((r) => ({ ...r, log_partition: null, log_offset: null }));
  await archive(store, overlap);
});

afterAll(async () => {
  store?.destroy();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('inventory audit: the archive queried', () => {
  it("sums every location's effects to the counters the domain folded, per SKU over its shards, each event once", async () => {
    const { rows, result } = await ask({ kind: 'totals', filters: { window: always } });
    expect(result.files.selected).toBe(7); // 2 days × 3 streams (OTHER-9 too), and the overlapping file
    const expected = new Map<string, { on_hand: number; reserved: number; sold: number; lent: number }>();
    for (const [stream, ledger] of sale.ledgers) {
      for (const l of locationsOf(ledger.state)) {
        const key = `${skuOf(stream)} ${l.location}`;
        const t = expected.get(key) ?? { on_hand: 0, reserved: 0, sold: 0, lent: 0 };
        expected.set(key, { on_hand: t.on_hand + l.onHand, reserved: t.reserved + l.reserved, sold: t.sold + l.sold, lent: t.lent + l.lent });
      }
    }
    const totals = new Map(rows.map((r) => [`${r.sku} ${r.location}`, { on_hand: r.on_hand, reserved: r.reserved, sold: r.sold, lent: r.lent }]));
    expect(totals).toEqual(expected);
    expect(totals.get(`${SKU} AMS-1`)).toEqual({ on_hand: 12, reserved: 0, sold: 5, lent: 0 });
    const versions = (stream: string) => `${stream}:${sale.ledgers.get(stream)!.state.version}`;
    expect(rows.find((r) => r.sku === SKU)!.last_versions).toBe(`${versions(SKU)} ${versions(SHARD1)}`);
    expect(rows.find((r) => r.sku === OTHER)!.last_versions).toBe(versions(OTHER));
  });

  it('reads a duplicated event once, and downloads a cached file never again', async () => {
    const { rows, result } = await ask({ kind: 'events', filters: { window: always } });
    expect(result.files.downloaded).toBe(0);
    expect(rows).toHaveLength(sale.rows.length);
    expect(new Set(rows.map((r) => `${r.stream}@${r.version}`)).size).toBe(sale.rows.length);
    // The copy the log delivered is kept: the duplicate's log position is gone with it.
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await db.connect();
    const raw = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${join(dir, 'cache')}/events/**/*.parquet', hive_partitioning = false)`);
    expect(raw.getRowObjectsJS()[0]!.n).toBe(sale.rows.length + 4);
    connection.closeSync();
    db.closeSync();
  });

  it("finds exactly a customer's reservation events, each with its customer, across SKUs and days", async () => {
    const { rows } = await ask({ kind: 'events', filters: { window: always, customer: 'cust-a' } });
    const theirs = new Set(sale.rows.filter((r) => r.type === 'StockReserved' && r.customer_id === 'cust-a').map((r) => r.reservation_id));
    expect(theirs).toEqual(new Set([rid(1), rid(3), rid(9)]));
    const expected = sale.rows.filter((r) => r.reservation_id !== null && theirs.has(r.reservation_id)).map((r) => `${r.stream}@${r.version} ${r.type}`);
    expect(rows.map((r) => `${r.stream}@${r.version} ${r.type}`).sort()).toEqual(expected.sort());
    expect(rows.every((r) => r.customer_id === 'cust-a')).toBe(true);
    // The allocation of the re-sourced reservation is where it went, of its units (an AllocationConfirmed names neither).
    expect(rows.find((r) => r.type === 'AllocationConfirmed' && r.reservation_id === rid(3))).toMatchObject({ location: 'AMS-1', qty: 3, allocation: 'ALLOC-3', occurred_at: `${DAY2}T09:02:00.000Z` });
  });

  it('filters by document or allocation, location, SKU and time window', async () => {
    const receipt = await ask({ kind: 'events', filters: { window: always, document: 'RCPT-1' } });
    expect(receipt.rows).toEqual([
      { occurred_at: `${DAY1}T08:10:00.000Z`, sku: SKU, stream: SKU, version: 7, type: 'StockMoved', reservation_id: null, customer_id: null, qty: 4, location: 'FRA-1', reason: null, document: 'RCPT-1', allocation: null },
    ]);
    const allocation = await ask({ kind: 'events', filters: { window: always, document: 'ALLOC-1' } });
    expect(allocation.rows.map((r) => [r.type, r.reservation_id, r.customer_id, r.location])).toEqual([['AllocationConfirmed', rid(1), 'cust-a', 'FRA-1']]);
    const fra = await ask({ kind: 'events', filters: { window: dayWindow(DAY2), sku: SKU, location: 'FRA-1' } });
    expect(fra.rows.map((r) => r.type)).toEqual(['StockReserved', 'ReservationResourced', 'StockMoved']);
    expect(fra.result.files.selected).toBe(5); // AUDIT-1's files of day 2 and of the day before (where a reservation's StockReserved may be)
    const late = await ask({ kind: 'events', filters: { window: dayWindow(DAY2), sku: OTHER } });
    expect(late.rows.map((r) => [r.type, r.customer_id])).toEqual([['ReservationCompleted', 'cust-a']]);
    const shard1 = await ask({ kind: 'events', filters: { window: { from: new Date(`${DAY1}T08:08:00.000Z`), to: new Date(`${DAY1}T08:09:00.000Z`) } } });
    expect(shard1.rows.map((r) => [r.stream, r.type, r.customer_id])).toEqual([[SHARD1, 'StockReserved', 'cust-b']]);
  });

  it('keeps the daily ledger: each column for a known day, the opening the closing of the day before', async () => {
    const day1 = (await ask({ kind: 'ledger', filters: { date: DAY1 } })).rows;
    const day2 = (await ask({ kind: 'ledger', filters: { date: DAY2 } })).rows;
    expect(day2).toEqual([
      { sku: SKU, location: 'AMS-1', opening: 10, receipts: 2, adjustments: 0, reservations: 3, releases: 1, sales: 5, shipments: 3, closing: 12, documents: ['ALLOC-3'] },
      { sku: SKU, location: 'FRA-1', opening: 9, receipts: 0, adjustments: -1, reservations: 3, releases: 0, sales: 0, shipments: 0, closing: 8, documents: ['DMG-2'] },
      { sku: OTHER, location: 'default', opening: 7, receipts: 0, adjustments: 0, reservations: 0, releases: 0, sales: 1, shipments: 0, closing: 7, documents: [] },
    ]);
    expect(day1.find((l) => l.location === 'FRA-1')).toMatchObject({ opening: 0, receipts: 4, adjustments: 5, closing: 9, reservations: 2, sales: 2, shipments: 2, documents: ['ALLOC-1', 'RCPT-1'] });
    // The loan to shard 1 nets out: AMS-1 holds the 10 units set, wherever the shards keep them.
    expect(day1.find((l) => l.location === 'AMS-1')).toMatchObject({ adjustments: 10, closing: 10, reservations: 1, releases: 1 });
    for (const line of day2) expect(line.opening).toBe(day1.find((l) => l.sku === line.sku && l.location === line.location)!.closing);
    // Sales are net: a SKU's lines over both days add up to its units sold, over its shards.
    for (const sku of [SKU, OTHER]) {
      const sold = [...sale.ledgers].filter(([stream]) => skuOf(stream) === sku).reduce((n, [, l]) => n + l.state.sold, 0);
      expect([...day1, ...day2].filter((l) => l.sku === sku).reduce((n, l) => n + Number(l.sales), 0), sku).toBe(sold);
    }
    const one = await ask({ kind: 'ledger', filters: { date: DAY2, sku: SKU, location: 'AMS-1' } });
    expect(one.rows).toEqual([day2[0]]);
  });
});

describe('inventory audit: the command', () => {
  it('exports csv and parquet files that read back with every event', async () => {
    const csv = join(dir, 'events.csv');
    const parquet = join(dir, 'ledger.parquet');
    const cache = ['--cache', join(dir, 'cli-cache')];
    const asCsv = await runCli(['audit', 'events', '--format', 'csv', '--out', csv, ...cache], env);
    expect(asCsv).toMatchObject({ code: 0, stdout: '' });
    const lines = (await readFile(csv, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('occurred_at,sku,stream,version,type,reservation_id,customer_id,qty,location,reason,document,allocation');
    expect(lines).toHaveLength(sale.rows.length + 1);
    const asParquet = await runCli(['audit', 'ledger', '--date', DAY2, '--format', 'parquet', '--out', parquet, ...cache], env);
    expect(asParquet.code).toBe(0);
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await db.connect();
    const read = await connection.runAndReadAll(`SELECT sku, location, closing::INTEGER AS closing FROM read_parquet('${parquet}') ORDER BY sku, location`);
    expect(read.getRowObjectsJS()).toEqual([
      { sku: SKU, location: 'AMS-1', closing: 12 },
      { sku: SKU, location: 'FRA-1', closing: 8 },
      { sku: OTHER, location: 'default', closing: 7 },
    ]);
    connection.closeSync();
    db.closeSync();
  });

  it('answers an empty result, exit 0, where nothing is archived; exit 3 naming the bucket where it cannot be read; 2 for parquet without a file', async () => {
    const empty = await runCli(['audit', 'totals', '--sku', 'NEVER-1', '--cache', join(dir, 'cli-cache')], env);
    expect(empty).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(empty.stderr).toContain('no archived events match');
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const down = await runCli(['audit', 'events', '--cache', join(dir, 'cli-cache')], { ...env, ARCHIVE_S3_ENDPOINT: endpoint });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain(`s3://${BUCKET} at ${endpoint}`);
    const usage = await runCli(['audit', 'ledger', '--date', DAY2, '--format', 'parquet'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--out');
  });
});
