/**
 * The event log without Kafka, so `npm start` needs only Node: one append-only JSON-lines file per
 * topic, a single partition (0) each, consumer offsets in small JSON files next to them.
 *
 * Layout under `dir` (names escaped by `fileName`):
 *   <topic>.jsonl         one record a line: {"offset","timestamp","key","value","headers"}
 *   <topic>.topic.json    {"name","kind"}: the topic exists (ensureTopics ran)
 *   offsets/<group>.json  {"<topic>": next offset to read}
 *
 * One instance appends to a topic at a time (appends of one instance are serialized per topic); an
 * instance notices between its appends what another one wrote, and readers in any process see new
 * records by polling. Concurrent appends from two processes are not supported.
 *
 * Compacted topics are not compacted: the embedded log keeps every record, which is still correct
 * because readers of a compacted topic take the latest record per key anyway.
 */
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { syncDirectory, writeAtomically } from '../files';
import { join } from 'node:path';
import type {
  ConsumedRecord,
  EventLog,
  LogHealth,
  LogRecord,
  Subscribe,
  Subscription,
  TopicSpec,
} from './port';

/** One line of a topic file. */
type StoredRecord = { offset: number; timestamp: number; key: string; value: string; headers: Record<string, string> };
/** Where the next record starts: its byte in the file and its offset. */
type Position = { byte: number; offset: number };
type Line = { record: StoredRecord | undefined; end: number };

const START: Position = { byte: 0, offset: 0 };
const NEWLINE = 0x0a;
const READ_CHUNK = 64 * 1024;
/** Same order of size as a Kafka fetch: enough to catch up fast, small enough to retry cheaply. */
const MAX_BATCH = 500;
const DEFAULT_POLL_MS = 200;
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 2_000;

export class EmbeddedEventLog implements EventLog {
  private readonly pollMs: number;
  private readonly offsets: OffsetStore;
  /** Topics known to exist, so an append does not stat the topic file each time. */
  private readonly known = new Set<string>();
  private readonly writers = new Map<string, TopicWriter>();
  /** Per topic, the last queued append: the next one waits for it, so offsets never interleave. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly subscriptions = new Set<FileSubscription>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    options: { pollMs?: number } = {},
  ) {
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.offsets = new OffsetStore(join(dir, 'offsets'));
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    this.assertOpen();
    await mkdir(this.dir, { recursive: true });
    for (const spec of specs) await this.ensureTopic(spec);
    // Without this a power loss could forget a new file, and with it records already acknowledged.
    await syncDirectory(this.dir);
  }

  /** Async so a closed log rejects rather than throws; the queueing below still runs synchronously, in call order. */
  async append(topic: string, records: readonly LogRecord[]): Promise<void> {
    this.assertOpen();
    const appended = (this.tails.get(topic) ?? Promise.resolve()).then(() => this.write(topic, records));
    // The chain must survive a failed append, and close() waits for it without caring how it ended.
    this.tails.set(
      topic,
      appended.catch(() => undefined),
    );
    return appended;
  }

  async subscribe(options: Subscribe): Promise<Subscription> {
    this.assertOpen();
    await this.requireTopic(options.topic);
    const handle = await open(this.logPath(options.topic), 'r');
    try {
      const start = await this.startPosition(handle, options);
      return this.track(new FileSubscription(handle, start, options, this.subscriptionDeps(options)));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async readAll(topic: string): Promise<ConsumedRecord[]> {
    this.assertOpen();
    await this.requireTopic(topic);
    const handle = await open(this.logPath(topic), 'r');
    try {
      const records: ConsumedRecord[] = [];
      for (let position = START; ; ) {
        const batch = await readBatch(handle, position, MAX_BATCH, this.durableEnd(topic));
        if (batch.records.length === 0) return records;
        records.push(...batch.records.map((record) => toConsumed(topic, record)));
        position = batch.next;
      }
    } finally {
      await handle.close();
    }
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    this.assertOpen();
    await this.requireTopic(topic);
    const handle = await open(this.logPath(topic), 'r');
    try {
      const end = await seek(handle, Number.POSITIVE_INFINITY, this.durableEnd(topic));
      return new Map([[0, String(end.offset)]]);
    } finally {
      await handle.close();
    }
  }

  async health(): Promise<LogHealth> {
    try {
      // Creating the directory is what ensureTopics would do; it also proves the parent is writable.
      await mkdir(this.dir, { recursive: true });
      await access(this.dir, constants.W_OK);
      const topics = (await readdir(this.dir)).filter((name) => name.endsWith(TOPIC_META_SUFFIX)).length;
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

  private async shutdown(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await Promise.all(this.tails.values());
    await Promise.all([...this.writers.values()].map((writer) => writer.handle.close()));
    this.writers.clear();
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('embedded event log is closed');
  }

  private async ensureTopic({ name, kind }: TopicSpec): Promise<void> {
    if (name === '') throw new Error('a topic needs a name');
    if (!(await exists(this.metaPath(name)))) {
      // The log file first: the metadata file is the mark that the topic is complete.
      await (await open(this.logPath(name), 'a')).close();
      await writeAtomically(this.metaPath(name), `${JSON.stringify({ name, kind })}\n`);
    }
    this.known.add(name);
  }

  /** Like Kafka with auto-create disabled: a typo in a topic name fails loudly instead of creating a topic. */
  private async requireTopic(topic: string): Promise<void> {
    if (this.known.has(topic)) return;
    // Another instance (or an earlier run) may have created it.
    if (!(await exists(this.metaPath(topic)))) throw new Error(`unknown topic "${topic}": create it with ensureTopics first`);
    this.known.add(topic);
  }

  private async write(topic: string, records: readonly LogRecord[]): Promise<void> {
    await this.requireTopic(topic);
    if (records.length === 0) return;
    const writer = await this.writer(topic);
    await writer.append(records);
    for (const subscription of this.subscriptions) subscription.notify(topic);
  }

  private async writer(topic: string): Promise<TopicWriter> {
    let writer = this.writers.get(topic);
    if (!writer) {
      writer = await TopicWriter.open(this.logPath(topic));
      this.writers.set(topic, writer);
    }
    return writer;
  }

  private async startPosition(handle: FileHandle, options: Subscribe): Promise<Position> {
    const chosen = options.startAt?.get(0);
    const committed = chosen === undefined ? await this.offsets.read(options.groupId, options.topic) : Number(chosen);
    const target = committed ?? (options.fromBeginning ? 0 : Number.POSITIVE_INFINITY);
    return seek(handle, target, this.durableEnd(options.topic));
  }

  /**
   * While this instance is writing to a topic, its readers stop where that write began: a record
   * appended here is not delivered before its append resolved, so no consumer acts on a record that
   * may yet be lost.
   */
  private durableEnd(topic: string): number | undefined {
    return this.writers.get(topic)?.writingFrom;
  }

  private subscriptionDeps({ groupId, topic, commit }: Subscribe): SubscriptionDeps {
    return {
      pollMs: this.pollMs,
      readLimit: () => this.durableEnd(topic),
      commit: commit === false ? async () => undefined : (next) => this.offsets.commit(groupId, topic, next),
      stopped: (subscription) => this.subscriptions.delete(subscription),
    };
  }

  private async track(subscription: FileSubscription): Promise<Subscription> {
    this.subscriptions.add(subscription);
    // close() may have started while this subscription was being opened: it would not know to stop it.
    if (this.closing) {
      await subscription.stop();
      throw new Error('embedded event log is closed');
    }
    return subscription;
  }

  private logPath(topic: string): string {
    return join(this.dir, `${fileName(topic)}.jsonl`);
  }

  private metaPath(topic: string): string {
    return join(this.dir, `${fileName(topic)}${TOPIC_META_SUFFIX}`);
  }
}

const TOPIC_META_SUFFIX = '.topic.json';

/** The appending side of one topic file: its end is kept in memory so an append never rescans the file. */
class TopicWriter {
  /** Set while a write is on its way to the disk; see EmbeddedEventLog.durableEnd. */
  writingFrom: number | undefined;

  private constructor(
    readonly handle: FileHandle,
    private end: Position,
  ) {}

  static async open(path: string): Promise<TopicWriter> {
    const handle = await open(path, 'a+');
    try {
      return new TopicWriter(handle, await settleTail(handle, START));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** All records in one write, then fsync: they become durable together, and a crash tears at most the last line. */
  async append(records: readonly LogRecord[]): Promise<void> {
    await this.catchUp();
    const timestamp = Date.now();
    const lines = records.map((record, i) => serialize(record, this.end.offset + i, timestamp)).join('');
    const bytes = Buffer.from(lines, 'utf8');
    this.writingFrom = this.end.byte;
    try {
      await writeAll(this.handle, bytes);
      await this.handle.datasync();
      this.end = { byte: this.end.byte + bytes.length, offset: this.end.offset + records.length };
    } finally {
      // After a failure the file size no longer matches `end`, so the next append's catchUp settles it.
      this.writingFrom = undefined;
    }
  }

  /** One fstat per append instead of a rescan: the size only differs after another instance appended or a write failed. */
  private async catchUp(): Promise<void> {
    const { size } = await this.handle.stat();
    if (size === this.end.byte) return;
    this.end = await settleTail(this.handle, size < this.end.byte ? START : this.end);
  }
}

/**
 * Finds the end of the complete records from `from` on and truncates whatever follows: a line torn
 * by a crash mid-write. The next append then continues at the right offset, without a hole.
 */
async function settleTail(handle: FileHandle, from: Position): Promise<Position> {
  const end = await scanToEnd(handle, from);
  const { size } = await handle.stat();
  if (size > end.byte) {
    await handle.truncate(end.byte);
    await handle.datasync();
  }
  return end;
}

async function scanToEnd(handle: FileHandle, from: Position): Promise<Position> {
  const lines = readLines(handle, from.byte);
  let end = from;
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    const { record, end: lineEnd } = next.value;
    if (record?.offset !== end.offset) {
      // Only the last line can be torn by a crash; a bad line with records after it is damage,
      // and cutting it away would drop records that were acknowledged.
      if (!(await lines.next()).done) throw new Error(`corrupt event log: bad record at byte ${end.byte}`);
      break;
    }
    end = { byte: lineEnd, offset: end.offset + 1 };
  }
  await lines.return(undefined);
  return end;
}

/**
 * The complete lines from byte `from` (up to `limit`), read in chunks so a long log is never held
 * in memory. A last line without its newline is not yielded: it is still being written, or torn.
 */
async function* readLines(handle: FileHandle, from: number, limit = Number.POSITIVE_INFINITY): AsyncGenerator<Line> {
  let pending = Buffer.alloc(0);
  let pendingStart = from;
  for (let position = from; position < limit; ) {
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, limit - position));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    const data = Buffer.concat([pending, chunk.subarray(0, bytesRead)]);
    let lineStart = 0;
    for (let newline = data.indexOf(NEWLINE); newline !== -1; newline = data.indexOf(NEWLINE, lineStart)) {
      yield { record: parseRecord(data.toString('utf8', lineStart, newline)), end: pendingStart + newline + 1 };
      lineStart = newline + 1;
    }
    pending = data.subarray(lineStart);
    pendingStart += lineStart;
  }
}

/** The position of the first record at or after `offset`, or the end of the complete records. */
async function seek(handle: FileHandle, offset: number, limit: number | undefined): Promise<Position> {
  let position = START;
  for await (const { record, end } of readLines(handle, 0, limit)) {
    if (!record || record.offset >= offset) break;
    position = { byte: end, offset: record.offset + 1 };
  }
  return position;
}

/** Up to `max` records from `from`; stops before a line that is incomplete or unreadable, to retry it on the next poll. */
async function readBatch(
  handle: FileHandle,
  from: Position,
  max: number,
  limit: number | undefined,
): Promise<{ records: StoredRecord[]; next: Position }> {
  const records: StoredRecord[] = [];
  let next = from;
  for await (const { record, end } of readLines(handle, from.byte, limit)) {
    if (!record) break;
    records.push(record);
    next = { byte: end, offset: record.offset + 1 };
    if (records.length >= max) break;
  }
  return { records, next };
}

function serialize(record: LogRecord, offset: number, timestamp: number): string {
  const stored: StoredRecord = { offset, timestamp, key: record.key, value: record.value, headers: record.headers ?? {} };
  return `${JSON.stringify(stored)}\n`;
}

function parseRecord(line: string): StoredRecord | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isStoredRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isStoredRecord(value: unknown): value is StoredRecord {
  if (typeof value !== 'object' || value === null) return false;
  const { offset, timestamp, key, headers } = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(offset) &&
    (offset as number) >= 0 &&
    typeof timestamp === 'number' &&
    typeof key === 'string' &&
    typeof (value as Record<string, unknown>).value === 'string' &&
    isStringRecord(headers)
  );
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}

function toConsumed(topic: string, record: StoredRecord): ConsumedRecord {
  const { offset, timestamp, key, value, headers } = record;
  return { topic, partition: 0, offset: String(offset), timestamp, key, value, headers };
}

type SubscriptionDeps = {
  pollMs: number;
  /** Bytes past this are not durable yet; undefined when nothing is being written. */
  readLimit: () => number | undefined;
  commit: (nextOffset: number) => Promise<void>;
  stopped: (subscription: FileSubscription) => void;
};

/** One group reading one topic: read a batch, hand it over until it is accepted, commit, repeat. */
class FileSubscription implements Subscription {
  private halted = false;
  private committed: number;
  private appendArrived = false;
  /** Ends the current sleep early; set only while sleeping. */
  private wakeOnStop: (() => void) | undefined;
  private wakeOnAppend: (() => void) | undefined;
  private readonly delivering: Promise<void>;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly handle: FileHandle,
    private position: Position,
    private readonly options: Subscribe,
    private readonly deps: SubscriptionDeps,
  ) {
    this.committed = position.offset;
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
    await this.handle.close();
    this.deps.stopped(this);
  }

  private async run(): Promise<void> {
    for (let failures = 0; !this.halted; ) {
      try {
        const delivered = await this.step();
        failures = 0;
        if (!delivered) await this.sleep(this.deps.pollMs, true);
      } catch {
        // A read or a commit failed (disk full, file briefly locked): keep the group alive and try again.
        await this.sleep(retryDelay(failures++), false);
      }
    }
  }

  /** Whether there was anything to deliver. */
  private async step(): Promise<boolean> {
    this.appendArrived = false;
    await this.commitPosition();
    const batch = await readBatch(this.handle, this.position, MAX_BATCH, this.deps.readLimit());
    if (batch.records.length === 0) return false;
    const accepted = await this.deliver(batch.records.map((record) => toConsumed(this.options.topic, record)));
    if (!accepted) return true;
    this.position = batch.next;
    // Even when stopping: the batch was handled, and committing spares the next subscriber a redelivery.
    await this.commitPosition();
    return true;
  }

  /** A failed commit is retried by the next step, so an accepted batch is never redelivered for want of one. */
  private async commitPosition(): Promise<void> {
    if (this.committed === this.position.offset) return;
    await this.deps.commit(this.position.offset);
    this.committed = this.position.offset;
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

/** Committed offsets, one small file per group, each write atomic so a crash leaves the old or the new offsets. */
class OffsetStore {
  /** Per group, the last queued commit: read-modify-write of one file must not interleave. */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  async read(groupId: string, topic: string): Promise<number | undefined> {
    return (await this.load(groupId))[topic];
  }

  commit(groupId: string, topic: string, nextOffset: number): Promise<void> {
    const committed = (this.tails.get(groupId) ?? Promise.resolve()).then(() => this.store(groupId, topic, nextOffset));
    this.tails.set(
      groupId,
      committed.catch(() => undefined),
    );
    return committed;
  }

  /**
   * Reread each time, because another instance may have committed another topic for the group. No
   * directory fsync: losing the newest commit to a power cut only redelivers, which consumers handle.
   */
  private async store(groupId: string, topic: string, nextOffset: number): Promise<void> {
    const offsets = { ...(await this.load(groupId)), [topic]: nextOffset };
    await mkdir(this.dir, { recursive: true });
    await writeAtomically(this.path(groupId), `${JSON.stringify(offsets)}\n`);
  }

  private async load(groupId: string): Promise<Record<string, number>> {
    try {
      return JSON.parse(await readFile(this.path(groupId), 'utf8')) as Record<string, number>;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return {};
      throw error;
    }
  }

  private path(groupId: string): string {
    return join(this.dir, `${fileName(groupId)}.json`);
  }
}

/**
 * A name usable as a file name on any filesystem: bytes outside [A-Za-z0-9._-] become %XX. Escaping
 * '%' as well keeps it one-to-one, so two names never share a file; every caller adds a suffix, so
 * '.' and '..' cannot name a directory.
 */
function fileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/gu, (char) =>
    [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** FileHandle.write may write less than asked; an append must reach the file whole. */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let written = 0; written < bytes.length; ) {
    written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
}
