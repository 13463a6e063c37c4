import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OwnershipLostError } from '../../bridge/eventLog/errors';
import { KafkaEventLog } from '../../bridge/eventLog/kafka';
import { transactionalIdOf } from '../../bridge/eventLog/kafkaOwner';
import { homePartition } from '../../bridge/eventLog/partitioner';
import type { ConsumedRecord, PartitionOwner, Subscription } from '../../bridge/eventLog/port';

/**
 * Partition-owned state on a real broker (docs/adr/0001-bridge-as-a-group.md): members of one
 * group split the partitions, each commits its partitions' state with their offsets, a member
 * that leaves hands its committed state to the next owner, and a stale owner cannot write.
 */
const brokers = [inject('kafkaBrokers')];
const PARTITIONS = 4;
const kafka = new Kafka({ clientId: 'owned-spec', brokers, logLevel: logLevel.NOTHING });
const open = () => new KafkaEventLog({ brokers, clientId: 'owned-spec', replicationFactor: -1, partitions: PARTITIONS, logger: pino({ level: 'silent' }) });

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type Span = { member: string; partition: number; from: number; to: number | null };

/** One member: what it owns now, every span of work per partition, and the failures its commits met. */
function member(name: string, input: string, state: string, groupId: string, spans: Span[]) {
  const owned = new Map<number, PartitionOwner>();
  const restored: ConsumedRecord[] = [];
  const failures: unknown[] = [];
  const open = (partition: number) => spans.push({ member: name, partition, from: performance.now(), to: null });
  const close = (partition: number) => {
    const span = spans.findLast((s) => s.member === name && s.partition === partition && s.to === null);
    if (span) span.to = performance.now();
  };
  const options = {
    groupId,
    topic: input,
    fromBeginning: true,
    stateTopics: [state],
    endpoint: `http://${name}.test:8798`,
    onAssigned: async (owner: PartitionOwner, records: readonly ConsumedRecord[]) => {
      owned.set(owner.partition, owner);
      restored.push(...records);
    },
    onSuspended: close,
    onResumed: open,
    onRevoked: (partition: number) => {
      close(partition);
      owned.delete(partition);
    },
    onBatch: async (records: readonly ConsumedRecord[], owner: PartitionOwner) => {
      try {
        await owner.commit(
          records.map((r) => ({ topic: state, key: r.key, value: `${name}:${r.value}` })),
          (BigInt(records.at(-1)!.offset) + 1n).toString(),
        );
      } catch (error) {
        failures.push(error);
        throw error;
      }
    },
  };
  return { owned, restored, failures, options };
}

/** No partition was worked on by two members at once. */
function overlaps(spans: Span[]): Span[][] {
  const found: Span[][] = [];
  for (const a of spans) {
    for (const b of spans) {
      if (a.member >= b.member || a.partition !== b.partition) continue;
      const aEnd = a.to ?? Infinity;
      const bEnd = b.to ?? Infinity;
      if (a.from < bEnd && b.from < aEnd) found.push([a, b]);
    }
  }
  return found;
}

let admin: ReturnType<Kafka['admin']>;
beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => admin.disconnect());

async function topics() {
  const id = randomUUID().slice(0, 8);
  const names = { input: `owned-in-${id}`, state: `owned-state-${id}`, groupId: `owned-${id}` };
  const log = open();
  await log.ensureTopics([
    { name: names.input, kind: 'history' },
    { name: names.state, kind: 'compacted' },
  ]);
  return { ...names, log };
}

describe('partition-owned state on Kafka', () => {
  it('two members split the partitions and advertise themselves; a leaving member hands its committed state to the other', async () => {
    const { input, state, groupId, log } = await topics();
    const spans: Span[] = [];
    const a = member('a', input, state, groupId, spans);
    const b = member('b', input, state, groupId, spans);
    const logB = open();
    let subA: Subscription | null = null;
    let subB: Subscription | null = null;
    try {
      subA = await log.subscribeOwned(a.options);
      await waitFor(() => a.owned.size === PARTITIONS, 'a owns every partition', 30_000);
      subB = await logB.subscribeOwned(b.options);
      await waitFor(() => a.owned.size > 0 && b.owned.size > 0 && a.owned.size + b.owned.size === PARTITIONS, 'the partitions split', 40_000);
      expect([...a.owned.keys(), ...b.owned.keys()].sort()).toEqual([0, 1, 2, 3]);

      let members = await log.groupMembers(groupId, input);
      await waitFor(async () => (members = await log.groupMembers(groupId, input)).length === 2, 'a stable group of two', 20_000);
      expect(members.map((m) => m.endpoint).sort()).toEqual(['http://a.test:8798', 'http://b.test:8798']);
      expect(members.flatMap((m) => m.partitions).sort()).toEqual([0, 1, 2, 3]);

      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
      await log.append(input, keys.map((key) => ({ key, value: 'v1' })));
      let stored: ConsumedRecord[] = [];
      const states = async () => (await log.readAll(state)).filter((r) => !r.key.startsWith('owner:'));
      await waitFor(async () => (stored = await states()).length === keys.length, 'every record’s state committed', 30_000);
      const inputs = await log.readAll(input);
      // Each key's state sits in its input partition, written by that partition's owner.
      for (const record of stored) {
        const source = inputs.find((r) => r.key === record.key)!;
        expect(record.partition).toBe(source.partition);
        const owner = a.owned.has(record.partition) ? 'a' : 'b';
        expect(record.value).toBe(`${owner}:v1`);
      }
      const ofA = new Set(stored.filter((r) => r.value.startsWith('a:')).map((r) => r.key));

      await subA.stop();
      subA = null;
      await waitFor(() => b.owned.size === PARTITIONS, 'b owns every partition', 40_000);
      // What a committed is what b restored for the partitions it took over.
      expect(new Set(b.restored.filter((r) => r.value.startsWith('a:')).map((r) => r.key))).toEqual(ofA);
      // Nothing is read twice past the offsets committed with the state: a new record is b's.
      await logB.append(input, [{ key: 'k0', value: 'v2' }]);
      await waitFor(async () => (await logB.readAll(state)).find((r) => r.key === 'k0')?.value === 'b:v2', 'b handles the next record', 20_000);
      expect(overlaps(spans)).toEqual([]);
      expect([...a.failures, ...b.failures]).toEqual([]);
    } finally {
      await subA?.stop();
      await subB?.stop();
      await log.close();
      await logB.close();
    }
  });

  it('a stale owner is fenced: its commit fails once a newer owner initialised the partition, and it rejoins', async () => {
    const { input, state, groupId, log } = await topics();
    const spans: Span[] = [];
    const a = member('a', input, state, groupId, spans);
    const sub = await log.subscribeOwned(a.options);
    const newer = kafka.producer({ transactionalId: transactionalIdOf(groupId, input, 0), idempotent: true, maxInFlightRequests: 1 });
    const raw = kafka.producer();
    try {
      await waitFor(() => a.owned.size === PARTITIONS && [...a.owned.values()].every((o) => o.active), 'a owns and works every partition', 30_000);
      const first = a.owned.get(0)!;
      // A newer owner of partition 0 starts: its first transaction fences a.
      await newer.connect();
      await (await newer.transaction()).commit();
      await raw.connect();
      await raw.send({ topic: input, messages: [{ key: 'fenced', value: 'v1', partition: 0 }] });
      await waitFor(() => a.failures.some((e) => e instanceof OwnershipLostError), 'a’s commit refused', 20_000);
      expect(first.active).toBe(false);
      // a rejoins, fences the newer producer in turn and handles the record as the owner again.
      await waitFor(async () => (await log.readAll(state)).some((r) => r.key === 'fenced' && r.value === 'a:v1'), 'a commits again after rejoining', 40_000);
      const zombie = await newer.transaction();
      await expect(zombie.send({ topic: state, messages: [{ key: 'zombie', value: 'z', partition: 0 }] }).then(() => zombie.commit())).rejects.toThrow();
      expect((await log.readAll(state)).some((r) => r.key === 'zombie')).toBe(false);
    } finally {
      await newer.disconnect().catch(() => undefined);
      await raw.disconnect();
      await sub.stop();
      await log.close();
    }
  });

  it('state is placed where Kafka puts its key: homePartition agrees with the producer for every key', async () => {
    const { input, log } = await topics();
    try {
      const keys = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? `SKU-${i}` : `SKU-${i}~${i % 64}`));
      await log.append(input, keys.map((key) => ({ key, value: 'x' })));
      const placed = await log.readAll(input);
      expect(placed).toHaveLength(keys.length);
      for (const record of placed) expect(record.partition, record.key).toBe(homePartition(record.key, PARTITIONS));
      expect(new Set(placed.map((r) => r.partition)).size).toBe(PARTITIONS);
    } finally {
      await log.close();
    }
  });
});
