import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEventLog } from '../../bridge/eventLog/embedded';
import type { ConsumedRecord, Subscription, TopicKind } from '../../bridge/eventLog/port';
import { describeEventLogContract, waitFor } from './eventLog.contract';

const EMBEDDED_MODULE = new URL('../../bridge/eventLog/embedded.ts', import.meta.url).href;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'embedded-event-log-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeEventLogContract('embedded', async () => new EmbeddedEventLog(dir, { pollMs: 50 }));

describe('EmbeddedEventLog', () => {
  const cleanup: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function openLog(at = dir): EmbeddedEventLog {
    const log = new EmbeddedEventLog(at, { pollMs: 50 });
    cleanup.push(() => log.close());
    return log;
  }

  async function newTopic(log: EmbeddedEventLog, kind: TopicKind = 'history'): Promise<string> {
    const topic = `embedded-${randomUUID().slice(0, 8)}`;
    await log.ensureTopics([{ name: topic, kind }]);
    return topic;
  }

  async function consume(log: EmbeddedEventLog, topic: string, groupId = `group-${randomUUID().slice(0, 8)}`) {
    const received: ConsumedRecord[] = [];
    const subscription: Subscription = await log.subscribe({
      groupId,
      topic,
      fromBeginning: true,
      onBatch: async (records) => {
        received.push(...records);
      },
    });
    cleanup.push(() => subscription.stop());
    return { received, subscription };
  }

  /** What the database holds for a topic, read as another process would. */
  function storedRows(topic: string, at = dir): number {
    const db = new DatabaseSync(join(at, 'log.sqlite'), { readOnly: true });
    try {
      const row = db.prepare('SELECT count(*) AS n FROM records JOIN topics ON topics.id = records.topic WHERE topics.name = ?').get(topic);
      return (row as { n: number }).n;
    } finally {
      db.close();
    }
  }

  it('keeps records in one SQLite file per directory, at contiguous offsets from 0 on partition 0', async () => {
    const log = openLog();
    const topic = await newTopic(log);
    await log.append(topic, [
      { key: 'a', value: 'one', headers: { h: '1' } },
      { key: 'b', value: 'two' },
    ]);
    await log.append(topic, [{ key: 'a', value: 'three' }]);

    expect((await readdir(dir)).filter((name) => name.startsWith('log.sqlite'))).toContain('log.sqlite');
    expect(await log.endOffsets(topic)).toEqual(new Map([[0, '3']]));
    const { received } = await consume(log, topic);
    await waitFor(() => received.length >= 3, '3 records', 5_000);
    expect(received.map((r) => [r.partition, r.offset, r.key, r.value, r.headers])).toEqual([
      [0, '0', 'a', 'one', { h: '1' }],
      [0, '1', 'b', 'two', {}],
      [0, '2', 'a', 'three', {}],
    ]);
  });

  it('delivers by polling what another instance on the same directory appended', async () => {
    const reader = openLog();
    const topic = await newTopic(reader);
    const { received } = await consume(reader, topic);

    const other = openLog();
    await other.append(topic, [{ key: 'k', value: 'from another instance', headers: { origin: 'other' } }]);
    await waitFor(() => received.length >= 1, 'the record of the other instance', 5_000);

    expect(received.map((r) => ({ offset: r.offset, key: r.key, value: r.value, headers: r.headers }))).toEqual([
      { offset: '0', key: 'k', value: 'from another instance', headers: { origin: 'other' } },
    ]);
  });

  it('continues the offsets of another instance when appending after it', async () => {
    const first = openLog();
    const topic = await newTopic(first);
    await first.append(topic, [{ key: 'k', value: 'first' }]);
    await openLog().append(topic, [{ key: 'k', value: 'second' }]);
    await first.append(topic, [{ key: 'k', value: 'third' }]);

    expect((await first.readAll(topic)).map((r) => [r.offset, r.value])).toEqual([
      ['0', 'first'],
      ['1', 'second'],
      ['2', 'third'],
    ]);
  });

  it('another process appends while this one appends and reads: every record once, offsets contiguous', async () => {
    const log = openLog();
    const topic = await newTopic(log);
    const { received } = await consume(log, topic);
    const script = `
      const { EmbeddedEventLog } = await import(process.argv[3]);
      const log = new EmbeddedEventLog(process.argv[1]);
      for (let batch = 0; batch < 20; batch++) {
        await log.append(process.argv[2], Array.from({ length: 10 }, (_, i) => ({ key: 'child', value: String(batch * 10 + i) })));
      }
      await log.close();`;
    const child = promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir, topic, EMBEDDED_MODULE]);
    for (let n = 0; n < 200; n++) await log.append(topic, [{ key: 'parent', value: String(n) }]);
    await child;
    await waitFor(() => received.length >= 400, '400 records', 10_000);

    expect(received.map((r) => Number(r.offset))).toEqual(Array.from({ length: 400 }, (_, i) => i));
    for (const key of ['parent', 'child']) {
      expect(received.filter((r) => r.key === key).map((r) => Number(r.value))).toEqual(Array.from({ length: 200 }, (_, i) => i));
    }
  });

  it('refuses to append to a topic that ensureTopics never created', async () => {
    const log = openLog();
    await expect(log.append('never-created', [{ key: 'k', value: 'v' }])).rejects.toThrow(/unknown topic "never-created"/);
    await expect(log.subscribe({ groupId: 'g', topic: 'never-created', fromBeginning: true, onBatch: async () => {} })).rejects.toThrow(
      /unknown topic/,
    );
  });

  it('refuses a tombstone on a history topic, and a subscription to a compacted topic', async () => {
    const log = openLog();
    const history = await newTopic(log);
    await expect(log.append(history, [{ key: 'k', value: 'v' }, { key: 'k', value: null }])).rejects.toThrow(/tombstone .* needs a compacted topic/);
    expect(await log.endOffsets(history)).toEqual(new Map([[0, '0']]));
    const table = await newTopic(log, 'compacted');
    await expect(log.subscribe({ groupId: 'g', topic: table, fromBeginning: true, onBatch: async () => {} })).rejects.toThrow(/readAll/);
  });

  it('a group with any name resumes, in another instance, after its committed offset', async () => {
    const log = openLog();
    const topic = await newTopic(log);
    await log.append(topic, [{ key: 'k', value: 'v1' }]);
    const groupId = `odd/group:${randomUUID().slice(0, 8)} %'"`;
    const first = await consume(log, topic, groupId);
    await waitFor(() => first.received.length === 1, 'the record', 5_000);
    await first.subscription.stop();

    const other = openLog();
    await other.append(topic, [{ key: 'k', value: 'v2' }]);
    const resumed = await consume(other, topic, groupId);
    await waitFor(() => resumed.received.length >= 1, 'the new record', 5_000);
    expect(resumed.received.map((r) => [r.offset, r.value])).toEqual([['1', 'v2']]);
  });

  it('a compacted topic holds one row per live key however often keys are written', async () => {
    const log = openLog();
    const table = await newTopic(log, 'compacted');
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
    for (let round = 1; round <= 5; round++) await log.append(table, keys.map((key) => ({ key, value: `${key}:${round}` })));
    await log.append(table, keys.slice(0, 50).map((key) => ({ key, value: null })));

    expect(storedRows(table)).toBe(150);
    expect(await log.endOffsets(table)).toEqual(new Map([[0, String(200 * 5 + 50)]]));
    const all = await log.readAll(table);
    expect(all).toHaveLength(150);
    expect(all.every((r) => r.value.endsWith(':5'))).toBe(true);
  });

  it('stop() waits for the batch in flight, and close() for pending appends', async () => {
    const log = openLog();
    const topic = await newTopic(log);
    await log.append(topic, [{ key: 'k', value: 'v' }]);
    let release!: () => void;
    let finished = false;
    let started = false;
    const subscription = await log.subscribe({
      groupId: `group-${randomUUID().slice(0, 8)}`,
      topic,
      fromBeginning: true,
      onBatch: async () => {
        started = true;
        await new Promise<void>((resolve) => (release = resolve));
        finished = true;
      },
    });
    await waitFor(() => started, 'the batch to start', 5_000);
    const stopped = subscription.stop();
    setTimeout(() => release(), 50);
    await stopped;
    expect(finished).toBe(true);

    const appended = log.append(topic, Array.from({ length: 100 }, (_, i) => ({ key: 'k', value: `v${i}` })));
    await log.close();
    await appended;
    expect(await openLog().endOffsets(topic)).toEqual(new Map([[0, '101']]));
    await expect(log.append(topic, [{ key: 'k', value: 'late' }])).rejects.toThrow(/closed/);
  });

  it('imports a directory of the JSON-lines version once: records, offsets, groups; compacted on the way', async () => {
    const legacy = join(dir, `legacy-${randomUUID().slice(0, 8)}`);
    await mkdir(join(legacy, 'offsets'), { recursive: true });
    const line = (offset: number, key: string, value: string, headers = {}) => `${JSON.stringify({ offset, timestamp: 1_000 + offset, key, value, headers })}\n`;
    await writeFile(join(legacy, 'events.topic.json'), JSON.stringify({ name: 'events', kind: 'history' }));
    // A torn last line, as a crash mid-write left it: not a record.
    await writeFile(join(legacy, 'events.jsonl'), line(0, 'a', 'e0', { h: '1' }) + line(1, 'b', 'e1') + line(2, 'a', 'e2') + '{"offset":3,"tim');
    await writeFile(join(legacy, 'sagas.topic.json'), JSON.stringify({ name: 'sagas', kind: 'compacted' }));
    await writeFile(join(legacy, 'sagas.jsonl'), line(0, 's1', 'old') + line(1, 's2', 'only') + line(2, 's1', 'new'));
    await writeFile(join(legacy, 'offsets', 'odd%2Fgroup.json'), JSON.stringify({ events: 2 }));

    const log = openLog(legacy);
    expect((await log.readAll('events')).map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers])).toEqual([
      ['0', 1_000, 'a', 'e0', { h: '1' }],
      ['1', 1_001, 'b', 'e1', {}],
      ['2', 1_002, 'a', 'e2', {}],
    ]);
    expect((await log.readAll('sagas')).map((r) => [r.offset, r.key, r.value])).toEqual([
      ['1', 's2', 'only'],
      ['2', 's1', 'new'],
    ]);
    expect(await log.endOffsets('events')).toEqual(new Map([[0, '3']]));
    await log.append('events', [{ key: 'a', value: 'e3' }]);
    const { received } = await consume(log, 'events', 'odd/group');
    await waitFor(() => received.length >= 2, 'the records after the legacy commit', 5_000);
    expect(received.map((r) => [r.offset, r.value])).toEqual([
      ['2', 'e2'],
      ['3', 'e3'],
    ]);
    expect((await readdir(legacy)).filter((name) => !name.startsWith('log.sqlite'))).toEqual([]);

    await log.close();
    expect(await openLog(legacy).endOffsets('events')).toEqual(new Map([[0, '4']]));
  });

  it('reports its health without the machine path, and unhealthy when the directory cannot be written', async () => {
    expect(await openLog().health()).toEqual({ ok: true, adapter: 'embedded', detail: expect.stringMatching(/^file log, \d+ topics?$/) });

    const file = join(dir, `not-a-dir-${randomUUID().slice(0, 8)}`);
    await writeFile(file, '');
    const broken = new EmbeddedEventLog(join(file, 'log'));
    const health = await broken.health();
    expect(health).toEqual({ ok: false, adapter: 'embedded', detail: 'file log not writable (ENOTDIR)' });
    expect(health.detail).not.toContain(dir);
    await broken.close();
  });
});
