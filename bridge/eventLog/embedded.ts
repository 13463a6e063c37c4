/**
 * The event log without Kafka, so `npm start` needs only Node: one SQLite database per log
 * directory (`<dir>/log.sqlite`, `node:sqlite` is built into Node 22), a single partition (0) per topic.
 *
 * One partition whatever KAFKA_PARTITIONS says: partitions spread work over replicas, and this log
 * serves one bridge process. Every key keeps its order, and a SKU's events and the tables that
 * follow them are co-partitioned by construction (all on partition 0).
 *
 * Cost follows live work, not history: a topic's end, a group's committed offset and the place a
 * reader resumes are primary-key lookups, never scans; a compacted topic holds one row per live
 * key (an append replaces the key's row, a tombstone deletes it), so it is as large as its keys.
 *
 * Durable: WAL with synchronous=FULL, so an append resolves once its transaction is on disk.
 * node:sqlite is synchronous, so an append holds the event loop until its fsync is done (1-3 ms
 * for a relay batch of 100 here): the price of needing nothing but Node.
 *
 * Instances and processes may share a directory (the bridge writing while a test or a tool
 * reads): an append takes its offsets inside its write transaction, so SQLite's lock orders
 * appenders; WAL lets readers read meanwhile, and they see new records by polling. Only one of
 * them may be a bridge (oneBridge.ts).
 *
 * A directory written by the JSON-lines version of this log is imported when first opened.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StringDecoder } from 'node:string_decoder';
import { TopicSettingsError } from './errors';
import type { HeldLock } from './oneBridge';
import type { ConsumedRecord, EventLog, GroupMember, LogHealth, LogRecord, OwnedSubscribe, PartitionOwner, StateRecord, Subscribe, Subscription, TopicFinding, TopicKind, TopicSpec } from './port';

const DB_FILE = 'log.sqlite';
/** Same order of size as a Kafka fetch: enough to catch up fast, small enough to retry cheaply. */
const MAX_BATCH = 500;
/** SQLite's LIMIT for "no limit". */
const ALL = -1;
const DEFAULT_POLL_MS = 200;
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 2_000;
/** How long a write waits for another process's write transaction before failing. */
const BUSY_TIMEOUT_MS = 10_000;

type Topic = { id: number; kind: TopicKind };
type Row = { offset: number; key: string; value: string; headers: string | null; timestamp: number };

export class EmbeddedEventLog implements EventLog {
  private readonly pollMs: number;
  private opened: Store | undefined;
  /** Topics known to exist, so an append does not look its topic up each time. */
  private readonly topics = new Map<string, Topic>();
  private readonly subscriptions = new Set<PollingSubscription>();
  /** Owned groups of this process → the endpoint they advertise (one process owns partition 0 of everything). */
  private readonly owned = new Map<string, string>();
  private closing: Promise<void> | undefined;
  /** The bridge's claim on the directory (oneBridge.ts), given up when the log closes. */
  private readonly held: HeldLock | undefined;

  constructor(
    private readonly dir: string,
    options: { pollMs?: number; held?: HeldLock } = {},
  ) {
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.held = options.held;
  }

  /**
   * Partitions and broker settings do not apply (see the file's header); a topic kept under
   * another kind than asked for is refused, as the Kafka adapter refuses its cleanup policy.
   */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<readonly TopicFinding[]> {
    this.assertOpen();
    if (specs.some(({ name }) => name === '')) throw new Error('a topic needs a name');
    const store = this.store();
    store.transaction(() => specs.forEach(({ name, kind }) => store.createTopic(name, kind)));
    const refused = specs.flatMap(({ name, kind }): TopicFinding[] => {
      const found = store.topic(name)!.kind;
      if (found === kind) return [];
      const message = `${name}: kind is ${found}, expected ${kind}: the embedded log keeps a topic as the kind it was created with. Fix: the embedded log is for local runs: stop the bridge and remove ${this.dir} (its records go with it)`;
      return [{ severity: 'refuse', topic: name, setting: 'kind', found, expected: kind, message }];
    });
    if (refused.length > 0) throw new TopicSettingsError(refused);
    return [];
  }

  /** Async so a closed log rejects rather than throws; the write itself is done before it returns. */
  async append(topic: string, records: readonly LogRecord[]): Promise<void> {
    this.assertOpen();
    const target = this.topic(topic);
    if (records.length === 0) return;
    if (target.kind !== 'compacted' && records.some((record) => record.value === null)) {
      throw new Error(`a tombstone (null value) needs a compacted topic, and "${topic}" is ${target.kind}`);
    }
    this.store().append(target, records, Date.now());
    for (const subscription of this.subscriptions) subscription.notify(topic);
  }

  async subscribe(options: Subscribe): Promise<Subscription> {
    this.assertOpen();
    const topic = this.topic(options.topic);
    // A subscriber would be handed tombstones, which ConsumedRecord cannot carry.
    if (topic.kind === 'compacted') throw new Error(`"${options.topic}" is a compacted topic: read it with readAll`);
    const subscription = new PollingSubscription(this.startOffset(topic, options), options, this.subscriptionDeps(topic, options));
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * One process is the only member: it owns partition 0 from the start, and its commits are one
   * SQLite transaction (state records and the group's offset), so there is no one to fence.
   */
  async subscribeOwned(options: OwnedSubscribe): Promise<Subscription> {
    this.assertOpen();
    const input = this.topic(options.topic);
    let active = true;
    const owner: PartitionOwner = {
      partition: 0,
      get active() {
        return active;
      },
      commit: async (records, nextOffset) => {
        this.assertOpen();
        const store = this.store();
        store.transaction(() => {
          for (const [topic, group] of byTopic(records)) store.append(this.topic(topic), group, Date.now());
          if (nextOffset !== undefined) store.commit(options.groupId, input, Number(nextOffset));
        });
      },
    };
    const restored = (await Promise.all(options.stateTopics.map((topic) => this.readAll(topic)))).flat();
    await options.onAssigned(owner, restored);
    options.onResumed(0);
    const subscribe: Subscribe = { groupId: options.groupId, topic: options.topic, fromBeginning: options.fromBeginning, commit: false, onBatch: (records) => options.onBatch(records, owner) };
    const polling = new PollingSubscription(this.startOffset(input, subscribe), subscribe, this.subscriptionDeps(input, subscribe));
    this.subscriptions.add(polling);
    this.owned.set(options.groupId, options.endpoint);
    return {
      stop: async () => {
        active = false;
        this.owned.delete(options.groupId);
        await polling.stop();
      },
    };
  }

  async groupMembers(groupId: string): Promise<GroupMember[]> {
    const endpoint = this.owned.get(groupId);
    return endpoint === undefined ? [] : [{ memberId: 'embedded', endpoint, partitions: [0] }];
  }

  /** Compacted topics hold only the latest record of each live key, so this is already the compacted view. */
  async readAll(topic: string, partitions?: ReadonlySet<number>): Promise<ConsumedRecord[]> {
    this.assertOpen();
    if (partitions && !partitions.has(0)) return [];
    return this.store().read(this.topic(topic), 0, ALL).map((row) => toConsumed(topic, row));
  }

  async hasTopic(topic: string): Promise<boolean> {
    this.assertOpen();
    return this.topics.has(topic) || this.store().topic(topic) !== undefined;
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    this.assertOpen();
    return new Map([[0, String(this.store().end(this.topic(topic)))]]);
  }

  /** Nothing is ever deleted from the file log. */
  async startOffsets(_topic: string): Promise<Map<number, string>> {
    this.assertOpen();
    return new Map([[0, '0']]);
  }

  async health(): Promise<LogHealth> {
    if (this.closing) return { ok: false, adapter: 'embedded', detail: 'file log closed' };
    try {
      const topics = this.store().topicCount();
      return { ok: true, adapter: 'embedded', detail: `file log, ${topics} topic${topics === 1 ? '' : 's'}` };
    } catch (error) {
      // The code only: the error's message would carry the machine's path.
      return { ok: false, adapter: 'embedded', detail: `file log not writable (${errorCode(error)})` };
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Subscriptions first: the batch each is delivering still commits its offset. */
  private async shutdown(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.opened?.close();
    this.held?.release();
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('embedded event log is closed');
  }

  /** Opened on first use, so constructing a log touches no disk (and health can report a bad directory). */
  private store(): Store {
    this.opened ??= Store.open(this.dir);
    return this.opened;
  }

  /** Like Kafka with auto-create disabled: a typo in a topic name fails loudly instead of creating a topic. */
  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      // Another instance (or an earlier run) may have created it.
      topic = this.store().topic(name);
      if (!topic) throw new Error(`unknown topic "${name}": create it with ensureTopics first`);
      this.topics.set(name, topic);
    }
    return topic;
  }

  private startOffset(topic: Topic, { startAt, groupId, fromBeginning }: Subscribe): number {
    const chosen = startAt?.get(0);
    if (chosen !== undefined) return Number(chosen);
    return this.store().committed(groupId, topic) ?? (fromBeginning ? 0 : this.store().end(topic));
  }

  private subscriptionDeps(topic: Topic, { groupId, topic: name, commit }: Subscribe): SubscriptionDeps {
    return {
      pollMs: this.pollMs,
      read: (from) => this.store().read(topic, from, MAX_BATCH).map((row) => toConsumed(name, row)),
      commit: commit === false ? () => undefined : (next) => this.store().commit(groupId, topic, next),
      stopped: (subscription) => this.subscriptions.delete(subscription),
    };
  }
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS topics (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    -- Kept, not computed: a tombstone takes an offset but leaves no row.
    next_offset INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS records (
    topic INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    headers TEXT,
    timestamp INTEGER NOT NULL,
    compacted INTEGER NOT NULL,
    PRIMARY KEY (topic, offset)
  ) STRICT, WITHOUT ROWID;
  -- Compaction: a compacted topic has at most one row per key.
  CREATE UNIQUE INDEX IF NOT EXISTS latest_per_key ON records (topic, key) WHERE compacted;
  CREATE TABLE IF NOT EXISTS group_offsets (
    group_id TEXT NOT NULL,
    topic INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic)
  ) STRICT, WITHOUT ROWID;
`;

const STATEMENTS = {
  topic: 'SELECT id, kind FROM topics WHERE name = ?',
  createTopic: 'INSERT INTO topics (name, kind, next_offset) VALUES (?, ?, 0) ON CONFLICT (name) DO NOTHING',
  topicCount: 'SELECT count(*) AS n FROM topics',
  end: 'SELECT next_offset AS n FROM topics WHERE id = ?',
  setEnd: 'UPDATE topics SET next_offset = ? WHERE id = ?',
  // On a compacted topic the key's earlier row is replaced: the record moves to its new offset.
  put: `INSERT INTO records (topic, offset, key, value, headers, timestamp, compacted) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (topic, key) WHERE compacted
        DO UPDATE SET offset = excluded.offset, value = excluded.value, headers = excluded.headers, timestamp = excluded.timestamp`,
  deleteKey: 'DELETE FROM records WHERE topic = ? AND key = ? AND compacted',
  read: 'SELECT offset, key, value, headers, timestamp FROM records WHERE topic = ? AND offset >= ? ORDER BY offset LIMIT ?',
  committed: 'SELECT next_offset AS n FROM group_offsets WHERE group_id = ? AND topic = ?',
  commit: `INSERT INTO group_offsets (group_id, topic, next_offset) VALUES (?, ?, ?)
           ON CONFLICT (group_id, topic) DO UPDATE SET next_offset = excluded.next_offset`,
} as const;

type Statements = Record<keyof typeof STATEMENTS, StatementSync>;

/** The SQL side: one connection, its statements and its transactions. */
class Store {
  private constructor(
    private readonly db: DatabaseSync,
    private readonly sql: Statements,
  ) {}

  static open(dir: string): Store {
    mkdirSync(dir, { recursive: true });
    // Loaded here rather than imported: the module prints an experimental-feature warning, which a
    // bridge on Kafka has no reason to show.
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
    const db = new DatabaseSync(join(dir, DB_FILE), { timeout: BUSY_TIMEOUT_MS });
    try {
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
      inTransaction(db, () => db.exec(SCHEMA));
      const statements = Object.entries(STATEMENTS).map(([name, text]) => [name, db.prepare(text)]);
      const store = new Store(db, Object.fromEntries(statements) as Statements);
      importLegacy(store, dir);
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  transaction<T>(work: () => T): T {
    return inTransaction(this.db, work);
  }

  createTopic(name: string, kind: TopicKind): void {
    this.sql.createTopic.run(name, kind);
  }

  topic(name: string): Topic | undefined {
    return this.sql.topic.get(name) as Topic | undefined;
  }

  topicCount(): number {
    return (this.sql.topicCount.get() as { n: number }).n;
  }

  end(topic: Topic): number {
    return (this.sql.end.get(topic.id) as { n: number }).n;
  }

  append(topic: Topic, records: readonly LogRecord[], timestamp: number): void {
    this.transaction(() => {
      let offset = this.end(topic);
      for (const record of records) this.put(topic, offset++, record, timestamp);
      this.setEnd(topic, offset);
    });
  }

  /** One record at its offset: a history row, a key's latest row, or (a tombstone) a key's deletion. */
  put(topic: Topic, offset: number, { key, value, headers }: LogRecord, timestamp: number): void {
    if (value === null) this.sql.deleteKey.run(topic.id, key);
    else this.sql.put.run(topic.id, offset, key, value, headersText(headers), timestamp, topic.kind === 'compacted' ? 1 : 0);
  }

  setEnd(topic: Topic, end: number): void {
    this.sql.setEnd.run(end, topic.id);
  }

  /** Up to `limit` records from offset `from` on: a seek in the primary key, whatever lies before. */
  read(topic: Topic, from: number, limit: number): Row[] {
    return this.sql.read.all(topic.id, from, limit) as Row[];
  }

  committed(groupId: string, topic: Topic): number | undefined {
    return (this.sql.committed.get(groupId, topic.id) as { n: number } | undefined)?.n;
  }

  commit(groupId: string, topic: Topic, next: number): void {
    this.sql.commit.run(groupId, topic.id, next);
  }

  close(): void {
    this.db.close();
  }
}

function byTopic(records: readonly StateRecord[]): Map<string, LogRecord[]> {
  const topics = new Map<string, LogRecord[]>();
  for (const { topic, ...record } of records) {
    let group = topics.get(topic);
    if (!group) topics.set(topic, (group = []));
    group.push(record);
  }
  return topics;
}

/** No headers are stored as NULL: most records of some topics have none. */
const headersText = (headers: Record<string, string> | undefined) =>
  headers && Object.keys(headers).length > 0 ? JSON.stringify(headers) : null;

/** IMMEDIATE takes the write lock first, so the offsets read inside cannot be taken by another process meanwhile. */
function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  // Nested (an owner's commit appends to several topics): part of the transaction already open.
  if (db.isTransaction) return work();
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    // A failed COMMIT may already have ended the transaction; rolling back then would hide the error.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function toConsumed(topic: string, { offset, timestamp, key, value, headers }: Row): ConsumedRecord {
  return { topic, partition: 0, offset: String(offset), timestamp, key, value, headers: headers === null ? {} : (JSON.parse(headers) as Record<string, string>) };
}

type SubscriptionDeps = {
  pollMs: number;
  /** The next records from an offset on, at most a batch. */
  read: (from: number) => ConsumedRecord[];
  commit: (nextOffset: number) => void;
  stopped: (subscription: PollingSubscription) => void;
};

/** One group reading one topic: read a batch, hand it over until it is accepted, commit, repeat. */
class PollingSubscription implements Subscription {
  private halted = false;
  private committed: number;
  private appendArrived = false;
  /** Ends the current sleep early; set only while sleeping. */
  private wakeOnStop: (() => void) | undefined;
  private wakeOnAppend: (() => void) | undefined;
  private readonly delivering: Promise<void>;
  private stopping: Promise<void> | undefined;

  constructor(
    /** The offset to read next. */
    private position: number,
    private readonly options: Subscribe,
    private readonly deps: SubscriptionDeps,
  ) {
    this.committed = position;
    this.delivering = this.run();
  }

  /** The in-process shortcut past polling: an append of this instance wakes its readers at once. */
  notify(topic: string): void {
    if (topic !== this.options.topic) return;
    this.appendArrived = true;
    this.wakeOnAppend?.();
  }

  stop(): Promise<void> {
    this.stopping ??= this.halt();
    return this.stopping;
  }

  private async halt(): Promise<void> {
    this.halted = true;
    this.wakeOnStop?.();
    await this.delivering;
    this.deps.stopped(this);
  }

  private async run(): Promise<void> {
    for (let failures = 0; !this.halted; ) {
      try {
        const delivered = await this.step();
        failures = 0;
        if (!delivered) await this.sleep(this.deps.pollMs, true);
      } catch {
        // A read or a commit failed (disk full, database locked too long): keep the group alive and try again.
        await this.sleep(retryDelay(failures++), false);
      }
    }
  }

  /** Whether there was anything to deliver. */
  private async step(): Promise<boolean> {
    this.appendArrived = false;
    this.commitPosition();
    const records = this.deps.read(this.position);
    if (records.length === 0) return false;
    if (!(await this.deliver(records))) return true;
    // Offsets of a batch may have gaps (appends that failed, or compaction): the next read starts after the last one.
    this.position = Number(records.at(-1)!.offset) + 1;
    // Even when stopping: the batch was handled, and committing spares the next subscriber a redelivery.
    this.commitPosition();
    return true;
  }

  /** A failed commit is retried by the next step, so an accepted batch is never redelivered for want of one. */
  private commitPosition(): void {
    if (this.committed === this.position) return;
    this.deps.commit(this.position);
    this.committed = this.position;
  }

  /** The same records until the handler accepts them: skipping any would lose it an event. False once stopped. */
  private async deliver(records: readonly ConsumedRecord[]): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.onBatch(records);
        return true;
      } catch {
        // The handler reports its own failures; the log's part is only to retry.
      }
      await this.sleep(retryDelay(attempt), false);
      if (this.halted) return false;
    }
  }

  /** Sleeps `ms`, ended early by stop() and, if `untilAppend`, by an append (not during a backoff). */
  private sleep(ms: number, untilAppend: boolean): Promise<void> {
    if (this.halted || (untilAppend && this.appendArrived)) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeOnStop = undefined;
        this.wakeOnAppend = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeOnStop = wake;
      if (untilAppend) this.wakeOnAppend = wake;
    });
  }
}

function retryDelay(attempt: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** attempt, MAX_RETRY_MS);
}

/*
 * The JSON-lines version of this log, imported once: `<topic>.topic.json` ({"name","kind"}),
 * `<topic>.jsonl` (one {"offset","timestamp","key","value","headers"} a line) and
 * `offsets/<group>.json` ({"<topic>": next offset}), names %XX-escaped.
 */
const LEGACY_META = '.topic.json';
const LEGACY_OFFSETS = 'offsets';
const READ_CHUNK = 1 << 20;

type LegacyRecord = { offset: number; timestamp: number; key: string; value: string; headers?: Record<string, string> };

/**
 * Imports the legacy files in one transaction, keeping offsets and timestamps, then removes them.
 * A crash before the removal imports nothing twice: a topic already in the database is skipped.
 */
function importLegacy(store: Store, dir: string): void {
  const metas = readdirSync(dir).filter((name) => name.endsWith(LEGACY_META));
  if (metas.length === 0) return;
  store.transaction(() => {
    for (const meta of metas) importLegacyTopic(store, join(dir, meta));
    importLegacyOffsets(store, join(dir, LEGACY_OFFSETS));
  });
  for (const meta of metas) {
    rmSync(join(dir, legacyLogName(meta)), { force: true });
    rmSync(join(dir, meta));
  }
  rmSync(join(dir, LEGACY_OFFSETS), { recursive: true, force: true });
}

const legacyLogName = (meta: string) => `${meta.slice(0, -LEGACY_META.length)}.jsonl`;

function importLegacyTopic(store: Store, metaPath: string): void {
  const { name, kind } = JSON.parse(readFileSync(metaPath, 'utf8')) as TopicSpec;
  if (store.topic(name)) return;
  store.createTopic(name, kind);
  const topic = store.topic(name)!;
  let end = 0;
  // Through put, so a compacted topic is compacted as it is imported.
  for (const record of legacyRecords(legacyLogName(metaPath))) {
    store.put(topic, record.offset, record, record.timestamp);
    end = record.offset + 1;
  }
  store.setEnd(topic, end);
}

function importLegacyOffsets(store: Store, dir: string): void {
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    // The legacy escape was %XX per UTF-8 byte, which is what decodeURIComponent undoes.
    const groupId = decodeURIComponent(file.slice(0, -'.json'.length));
    const offsets = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, number>;
    for (const [name, next] of Object.entries(offsets)) {
      const topic = store.topic(name);
      if (topic && store.committed(groupId, topic) === undefined) store.commit(groupId, topic, next);
    }
  }
}

/** The records of a legacy file; only its last line may be bad (torn by a crash), as that version guaranteed. */
function* legacyRecords(path: string): Generator<LegacyRecord> {
  let bad = false;
  for (const line of completeLines(path)) {
    if (bad) throw new Error('corrupt legacy event log: a bad record before the last line');
    const record = parseLegacy(line);
    if (record) yield record;
    else bad = true;
  }
}

function parseLegacy(line: string): LegacyRecord | undefined {
  try {
    const record = JSON.parse(line) as LegacyRecord;
    return Number.isSafeInteger(record.offset) && typeof record.key === 'string' && typeof record.value === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The newline-terminated lines of a file, read in chunks so a long log is never held in memory. */
function* completeLines(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    const decoder = new StringDecoder('utf8');
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    let pending = '';
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) {
      const lines = (pending + decoder.write(chunk.subarray(0, read))).split('\n');
      // The last piece has no newline yet: the rest of it is in the next chunk, or it was torn.
      pending = lines.pop()!;
      yield* lines;
    }
  } finally {
    closeSync(fd);
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
}
