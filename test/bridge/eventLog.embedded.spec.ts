import { randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEventLog } from '../../bridge/eventLog/embedded';
import type { ConsumedRecord, Subscription } from '../../bridge/eventLog/port';
import { describeEventLogContract, waitFor } from './eventLog.contract';

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

  function openLog(): EmbeddedEventLog {
    const log = new EmbeddedEventLog(dir, { pollMs: 50 });
    cleanup.push(() => log.close());
    return log;
  }

  async function newTopic(log: EmbeddedEventLog): Promise<string> {
    const topic = `embedded-${randomUUID().slice(0, 8)}`;
    await log.ensureTopics([{ name: topic, kind: 'history' }]);
    return topic;
  }

  async function consume(log: EmbeddedEventLog, topic: string) {
    const received: ConsumedRecord[] = [];
    const subscription: Subscription = await log.subscribe({
      groupId: `group-${randomUUID().slice(0, 8)}`,
      topic,
      fromBeginning: true,
      onBatch: async (records) => {
        received.push(...records);
      },
    });
    cleanup.push(() => subscription.stop());
    return received;
  }

  const linesOf = async (topic: string) => (await readFile(join(dir, `${topic}.jsonl`), 'utf8')).split('\n');

  it('writes one JSON line per record with contiguous offsets from 0, on partition 0', async () => {
    const log = openLog();
    const topic = await newTopic(log);
    await log.append(topic, [
      { key: 'a', value: 'one', headers: { h: '1' } },
      { key: 'b', value: 'two' },
    ]);
    await log.append(topic, [{ key: 'a', value: 'three' }]);

    const lines = await linesOf(topic);
    expect(lines.at(-1)).toBe('');
    const stored = lines.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(stored.map(({ timestamp: _, ...rest }) => rest)).toEqual([
      { offset: 0, key: 'a', value: 'one', headers: { h: '1' } },
      { offset: 1, key: 'b', value: 'two', headers: {} },
      { offset: 2, key: 'a', value: 'three', headers: {} },
    ]);
    expect(JSON.parse(await readFile(join(dir, `${topic}.topic.json`), 'utf8'))).toEqual({ name: topic, kind: 'history' });

    const received = await consume(log, topic);
    await waitFor(() => received.length >= 3, '3 records', 5_000);
    expect(received.map((r) => [r.partition, r.offset, r.value])).toEqual([
      [0, '0', 'one'],
      [0, '1', 'two'],
      [0, '2', 'three'],
    ]);
  });

  it.each([
    ['a line without its newline', '{"offset":2,"timestamp":1,"key":"k","va'],
    ['a last line that is not JSON', '{"offset":2,"timest\n'],
  ])('ignores a torn last line (%s) and continues at the right offset', async (_, torn) => {
    const writer = openLog();
    const topic = await newTopic(writer);
    await writer.append(topic, [
      { key: 'k', value: 'v0' },
      { key: 'k', value: 'v1' },
    ]);
    await writer.close();
    await appendFile(join(dir, `${topic}.jsonl`), torn);

    const log = openLog();
    const received = await consume(log, topic);
    await waitFor(() => received.length >= 2, 'the 2 intact records', 5_000);
    await log.append(topic, [{ key: 'k', value: 'v2' }]);
    await waitFor(() => received.length >= 3, 'the record appended after the torn line', 5_000);

    expect(received.map((r) => [r.offset, r.value])).toEqual([
      ['0', 'v0'],
      ['1', 'v1'],
      ['2', 'v2'],
    ]);
    const lines = await linesOf(topic);
    expect(lines.slice(0, -1).map((line) => (JSON.parse(line) as { offset: number }).offset)).toEqual([0, 1, 2]);
    expect(lines.at(-1)).toBe('');
  });

  it('delivers by polling what another instance on the same directory appended', async () => {
    const reader = openLog();
    const topic = await newTopic(reader);
    const received = await consume(reader, topic);

    const other = openLog();
    await other.append(topic, [{ key: 'k', value: 'from another process', headers: { origin: 'other' } }]);
    await waitFor(() => received.length >= 1, 'the record of the other instance', 5_000);

    expect(received.map((r) => ({ offset: r.offset, key: r.key, value: r.value, headers: r.headers }))).toEqual([
      { offset: '0', key: 'k', value: 'from another process', headers: { origin: 'other' } },
    ]);
  });

  it('continues the offsets of another instance when appending after it', async () => {
    const first = openLog();
    const topic = await newTopic(first);
    await first.append(topic, [{ key: 'k', value: 'first' }]);
    await openLog().append(topic, [{ key: 'k', value: 'second' }]);
    await first.append(topic, [{ key: 'k', value: 'third' }]);

    const lines = (await linesOf(topic)).slice(0, -1).map((line) => JSON.parse(line) as { offset: number; value: string });
    expect(lines.map((l) => [l.offset, l.value])).toEqual([
      [0, 'first'],
      [1, 'second'],
      [2, 'third'],
    ]);
  });

  it('refuses to append to a topic that ensureTopics never created', async () => {
    const log = openLog();
    await expect(log.append('never-created', [{ key: 'k', value: 'v' }])).rejects.toThrow(/unknown topic "never-created"/);
    await expect(log.subscribe({ groupId: 'g', topic: 'never-created', fromBeginning: true, onBatch: async () => {} })).rejects.toThrow(
      /unknown topic/,
    );
  });

  it('stores the offsets of a group with any name in one file under offsets/', async () => {
    const log = openLog();
    const topic = await newTopic(log);
    await log.append(topic, [{ key: 'k', value: 'v' }]);
    const groupId = `odd/group:${randomUUID().slice(0, 8)} %`;
    let delivered = 0;
    const subscription = await log.subscribe({
      groupId,
      topic,
      fromBeginning: true,
      onBatch: async (records) => {
        delivered += records.length;
      },
    });
    await waitFor(() => delivered === 1, 'the record', 5_000);
    await subscription.stop();

    const files = (await readdir(join(dir, 'offsets'))).filter((file) => file.startsWith('odd%2Fgroup%3A'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^odd%2Fgroup%3A[0-9a-f]{8}%20%25\.json$/);
    expect(JSON.parse(await readFile(join(dir, 'offsets', files[0]!), 'utf8'))).toEqual({ [topic]: 1 });
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
    expect((await linesOf(topic)).length).toBe(102);
    await expect(log.append(topic, [{ key: 'k', value: 'late' }])).rejects.toThrow(/closed/);
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
