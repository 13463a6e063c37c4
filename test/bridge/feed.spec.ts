import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, inject, it } from 'vitest';
import { OwnershipLostError } from '../../bridge/eventLog/errors';
import { KafkaEventLog } from '../../bridge/eventLog/kafka';
import { transactionalIdOf } from '../../bridge/eventLog/kafkaOwner';
import type { EventLog, PartitionOwner } from '../../bridge/eventLog/port';
import { FEED_CONTROL_TOPIC, TOPICS } from '../../bridge/eventLog/topics';
import { FEED_GROUP, type RunningFeed } from '../../bridge/feed/follower';
import type { Following } from '../../bridge/feed/status';
import type { Metrics } from '../../bridge/metrics';
import type { WmsClient } from '../../bridge/wms/client';
import type { RunningWmsSimulator } from '../../bridge/wms/simulator';
import { recordingEdge } from './support/feedEdge';
import { committedCursor, useFeeds, waitFor } from './support/feedHarness';
import { admin, useWmsSimulators } from './support/wmsSimulator';

/**
 * The warehouse feed (issue 22, ADR 0014) against the real SOAP simulator and a real log: every
 * receipt, count and damage reaches the edge once, in order; shipments never; the cursor is
 * committed through the partition's owner and resumed from after a restart; a redelivery is
 * counted once; a fenced owner cannot commit; warehouse and edge faults are waited out.
 *
 * The edge is `recordingEdge`: the movements route in memory, deciding with the SKU object's own
 * decider, so that faults and fencing can be staged without workerd. The route over HTTP, a real
 * restart and a real redelivery: test/e2e/feed.e2e.spec.ts.
 */
const logger = pino({ level: 'silent' });
const sims = useWmsSimulators();
const LOCATIONS = ['AMS-1', 'RTM-2'];

const { embeddedLog, adopt, close, follow: followWith, stop } = useFeeds('feed-');

const follow = (log: EventLog, simulator: RunningWmsSimulator, edge: ReturnType<typeof recordingEdge>, options: { id?: string; pageSize?: number; callTimeoutMs?: number } = {}) =>
  followWith(log, { id: options.id ?? 'soap-1', kind: 'soap', url: simulator.soapUrl, locations: LOCATIONS }, edge, options);

const post = async (simulator: RunningWmsSimulator, movement: Record<string, unknown>) => {
  const answer = await admin(simulator, 'POST', '/admin/movements', movement);
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as { sequence: number };
};
const receipt = (simulator: RunningWmsSimulator, document: string, location: string, sku: string, qty: number) => post(simulator, { type: 'receipt', document, location, sku, qty });

const mine = (feed: RunningFeed, warehouse = 'soap-1'): Following | undefined => feed.following().find((f) => f.warehouse === warehouse);
const counter = async (metrics: Metrics, name: string): Promise<Record<string, string | number>[]> =>
  (await metrics.registry.getSingleMetric(name)!.get()).values.map((v) => ({ ...(v.labels as Record<string, string>), value: v.value }));

/** What the edge must have been sent for each movement: the contract's body, from the warehouse's own record. */
async function expectedCommands(client: WmsClient, warehouse: string) {
  const { movement } = await client.movements(0, 1_000, 2_000);
  return movement
    .filter((m) => m.type !== 'shipment')
    .map((m) => ({ sku: m.sku, command: { warehouse, document: m.document, sequence: m.sequence, movement: m.type, location: m.location, delta: m.delta, at: m.at } }));
}

describe('the warehouse feed on the embedded log', () => {
  it('delivers each receipt, count and damage once, in order, as the contract’s command; skips shipments; commits the cursor', async () => {
    const { simulator, client } = await sims.start({ locations: LOCATIONS, unstocked: 'empty' });
    await receipt(simulator, 'D-1', 'AMS-1', 'SKU-A', 10);
    await receipt(simulator, 'D-2', 'RTM-2', 'SKU-A', 5);
    expect(await client.allocate('r-1', 'SKU-A', 2, 2_000, 'AMS-1')).toMatchObject({ status: 'allocated' });
    await post(simulator, { type: 'shipment', document: 'D-3', reservationId: 'r-1' });
    await post(simulator, { type: 'count', document: 'D-4', location: 'AMS-1', sku: 'SKU-A', qty: 7 });
    const edge = recordingEdge();
    const log = await embeddedLog('order');
    const { feed, metrics } = await follow(log, simulator, edge);

    await waitFor(async () => (await committedCursor(log, 'soap-1'))?.sequence === 4, 'the cursor committed at 4');
    // While it runs: new documents are picked up from the cursor on.
    await post(simulator, { type: 'damage', document: 'D-5', location: 'RTM-2', sku: 'SKU-A', qty: 1 });
    await receipt(simulator, 'D-6', 'AMS-1', 'SKU-B', 4);
    await waitFor(async () => (await committedCursor(log, 'soap-1'))?.sequence === 6, 'the cursor committed at 6');

    const expected = await expectedCommands(client, 'soap-1');
    expect(expected.map((c) => [c.command.document, c.command.movement, c.command.delta])).toEqual([
      ['D-1', 'receipt', 10],
      ['D-2', 'receipt', 5],
      ['D-4', 'count', -1],
      ['D-5', 'damage', -1],
      ['D-6', 'receipt', 4],
    ]);
    expect(edge.calls.map(({ sku, command }) => ({ sku, command }))).toEqual(expected);
    expect(edge.calls.every((c) => c.applied)).toBe(true);
    expect([edge.onHand('SKU-A', 'AMS-1'), edge.onHand('SKU-A', 'RTM-2'), edge.onHand('SKU-B', 'AMS-1')]).toEqual([9, 4, 4]);
    expect(await committedCursor(log, 'soap-1')).toMatchObject({ warehouse: 'soap-1', sequence: 6, document: 'D-6', movement: 'receipt' });
    await waitFor(() => mine(feed)?.state === 'caught_up', 'the feed caught up');
    expect(mine(feed)).toMatchObject({ state: 'caught_up', committed: 6, latest: 6, lastError: null, handled: { applied: 5, duplicate: 0, shipment: 1 } });
    expect(await counter(metrics, 'bridge_feed_movements_total')).toEqual(
      expect.arrayContaining([
        { warehouse: 'soap-1', outcome: 'applied', value: 5 },
        { warehouse: 'soap-1', outcome: 'shipment', value: 1 },
      ]),
    );
    expect(await counter(metrics, 'bridge_feed_lag')).toEqual([{ warehouse: 'soap-1', value: 0 }]);
  });

  it('a restarted bridge resumes from the committed cursor: nothing before it is sent again', async () => {
    const { simulator } = await sims.start({ locations: LOCATIONS, unstocked: 'empty' });
    await receipt(simulator, 'R-1', 'AMS-1', 'SKU-A', 1);
    await receipt(simulator, 'R-2', 'AMS-1', 'SKU-A', 2);
    const edge = recordingEdge();
    const first = await embeddedLog('restart');
    const { feed } = await follow(first, simulator, edge);
    await waitFor(async () => (await committedCursor(first, 'soap-1'))?.sequence === 2, 'the cursor committed at 2');
    await stop(feed);
    await close(first);

    await receipt(simulator, 'R-3', 'RTM-2', 'SKU-A', 3);
    await receipt(simulator, 'R-4', 'AMS-1', 'SKU-A', 4);
    const again = await embeddedLog('restart');
    const restarted = await follow(again, simulator, edge);
    expect(mine(restarted.feed)?.cursor.sequence).toBe(2);
    await waitFor(async () => (await committedCursor(again, 'soap-1'))?.sequence === 4, 'the cursor committed at 4');
    expect(edge.calls.map((c) => [c.command.sequence, c.applied])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, true],
    ]);
  });

  it('movements sent again after a crash before the cursor’s commit are counted once: the edge answers applied:false', async () => {
    const { simulator } = await sims.start({ locations: LOCATIONS, unstocked: 'empty' });
    await receipt(simulator, 'C-1', 'AMS-1', 'SKU-A', 5);
    await receipt(simulator, 'C-2', 'RTM-2', 'SKU-A', 6);
    await post(simulator, { type: 'damage', document: 'C-3', location: 'AMS-1', sku: 'SKU-A', qty: 2 });
    const edge = recordingEdge();
    const log = await embeddedLog('crash');
    // The replica applies the movements, then dies before its cursor is committed: its commit never lands.
    const dying = await follow(neverCommits(log), simulator, edge, { pageSize: 10 });
    await waitFor(() => edge.calls.length === 3, 'three movements applied');
    await waitFor(() => mine(dying.feed)?.state === 'stopped', 'the dying feed stopped');
    await stop(dying.feed);
    expect(await committedCursor(log, 'soap-1')).toBeNull();

    const next = await follow(log, simulator, edge, { pageSize: 10 });
    await waitFor(async () => (await committedCursor(log, 'soap-1'))?.sequence === 3, 'the cursor committed at 3');
    expect(edge.calls.map((c) => [c.command.document, c.applied])).toEqual([
      ['C-1', true],
      ['C-2', true],
      ['C-3', true],
      ['C-1', false],
      ['C-2', false],
      ['C-3', false],
    ]);
    expect([edge.onHand('SKU-A', 'AMS-1'), edge.onHand('SKU-A', 'RTM-2')]).toEqual([3, 6]);
    expect(mine(next.feed)?.handled).toEqual({ applied: 0, duplicate: 3, shipment: 0 });
  });

  it('waits out warehouse timeouts, faults and an outage and edge 503s, retrying: every movement once, in order, none skipped', async () => {
    const { simulator } = await sims.start({ locations: LOCATIONS, unstocked: 'empty' });
    for (let i = 1; i <= 12; i++) await receipt(simulator, `F-${i}`, LOCATIONS[i % 2]!, 'SKU-F', i);
    const faulty = await admin(simulator, 'PUT', '/admin/faults', { timeoutRate: 0.25, faultRate: 0.25, latencyMs: { min: 0, max: 20 }, operations: ['ListMovements'] });
    expect(faulty.status).toBe(200);
    expect((await admin(simulator, 'POST', '/admin/outage', { forMs: 400 })).status).toBe(200);
    const edge = recordingEdge();
    edge.failures.push({ status: 503, code: 'overloaded' }, { status: 503, code: 'overloaded' });
    const log = await embeddedLog('faults');
    const { feed, metrics } = await follow(log, simulator, edge, { pageSize: 3, callTimeoutMs: 300 });

    await waitFor(async () => (await committedCursor(log, 'soap-1'))?.sequence === 12, 'the cursor committed at 12', 60_000);
    expect(edge.calls.map((c) => [c.command.sequence, c.applied])).toEqual(Array.from({ length: 12 }, (_, i) => [i + 1, true]));
    const failures = await counter(metrics, 'bridge_feed_failures_total');
    expect(failures.find((f) => f.step === 'warehouse')?.value).toBeGreaterThan(0);
    expect(failures.find((f) => f.step === 'edge')?.value).toBe(2);
    expect(mine(feed)?.handled.applied).toBe(12);
  });

  it('an edge refusal holds the feed up (stalled, nothing skipped) until the edge accepts the movement', async () => {
    const { simulator } = await sims.start({ locations: LOCATIONS, unstocked: 'empty' });
    await receipt(simulator, 'S-1', 'AMS-1', 'SKU-S', 1);
    await receipt(simulator, 'S-2', 'AMS-1', 'SKU-S', 2);
    const edge = recordingEdge();
    for (let i = 0; i < 4; i++) edge.failures.push({ status: 400, code: 'invalid_command' });
    const log = await embeddedLog('stalled');
    const { feed, metrics } = await follow(log, simulator, edge);
    const stalled = await waitFor(() => (mine(feed)?.state === 'stalled' ? mine(feed) : undefined), 'the feed stalled');
    expect(stalled.lastError).toMatchObject({ step: 'edge', message: 'edge answered 400' });
    expect(stalled.cursor.sequence).toBe(0);
    expect(await counter(metrics, 'bridge_feed_stalled')).toEqual([{ warehouse: 'soap-1', value: 1 }]);
    await waitFor(async () => (await committedCursor(log, 'soap-1'))?.sequence === 2, 'the cursor committed at 2 once accepted');
    expect(edge.calls.map((c) => c.command.document)).toEqual(['S-1', 'S-2']);
    await waitFor(() => mine(feed)?.state === 'caught_up', 'the feed caught up');
    expect(mine(feed)?.lastError).toBeNull();
  });
});

/** The log as a replica sees it that dies before its commits land: the owner's commits are lost (refused). */
const neverCommits = (log: EventLog) => withCommit(log, (owner) => () => Promise.reject(new OwnershipLostError(owner.partition)));

describe('the warehouse feed on Kafka', () => {
  const brokers = [inject('kafkaBrokers')];

  it('a fenced owner cannot commit its cursor: the movement it applied is applied again by the next owner, and counted once', async () => {
    const { simulator } = await sims.start({ locations: LOCATIONS, unstocked: 'empty' });
    await receipt(simulator, 'K-1', 'AMS-1', 'SKU-K', 1);
    await receipt(simulator, 'K-2', 'AMS-1', 'SKU-K', 2);
    const log = adopt(new KafkaEventLog({ brokers, clientId: 'feed-spec', replicationFactor: -1, partitions: 12, logger }));
    await log.ensureTopics(TOPICS);
    const refused: unknown[] = [];
    const edge = recordingEdge();
    const id = `fence-${randomUUID().slice(0, 8)}`;
    const { feed } = await follow(recordingCommits(log, refused), simulator, edge, { id });
    await waitFor(async () => (await committedCursor(log, id))?.sequence === 2, 'the cursor committed at 2', 60_000);

    // A newer owner of the warehouse's partition starts: its first transaction fences this one.
    const kafka = new Kafka({ clientId: 'feed-spec-fence', brokers, logLevel: logLevel.NOTHING });
    const newer = kafka.producer({ transactionalId: transactionalIdOf(FEED_GROUP, FEED_CONTROL_TOPIC, feed.partitionOf(id)), idempotent: true, maxInFlightRequests: 1 });
    try {
      await newer.connect();
      await (await newer.transaction()).commit();
      await receipt(simulator, 'K-3', 'RTM-2', 'SKU-K', 3);
      await waitFor(() => refused.some((e) => e instanceof OwnershipLostError), 'the stale owner’s commit refused', 60_000);
      expect((await committedCursor(log, id))?.sequence).toBe(2);
      // The replica rejoins as a new owner (fencing `newer` in turn), restores cursor 2 and sends K-3 again.
      await waitFor(async () => (await committedCursor(log, id))?.sequence === 3, 'the cursor committed at 3 by the new owner', 60_000);
    } finally {
      await newer.disconnect().catch(() => undefined);
    }
    expect(edge.calls.map((c) => [c.command.document, c.applied])).toEqual([
      ['K-1', true],
      ['K-2', true],
      ['K-3', true],
      ['K-3', false],
    ]);
    expect(edge.onHand('SKU-K', 'RTM-2')).toBe(3);
  });
});

/** The log, with every commit refusal an owner meets recorded. */
const recordingCommits = (log: EventLog, refused: unknown[]) =>
  withCommit(log, (owner) => (records, nextOffset) =>
    owner.commit(records, nextOffset).catch((error: unknown) => {
      refused.push(error);
      throw error;
    }),
  );

/** The log, its owners committing through `commit(owner)` instead of their own. */
function withCommit(log: EventLog, commit: (owner: PartitionOwner) => PartitionOwner['commit']): EventLog {
  const subscribeOwned: EventLog['subscribeOwned'] = (options) =>
    log.subscribeOwned({
      ...options,
      onAssigned: (owner, restored) =>
        options.onAssigned(
          {
            partition: owner.partition,
            get active() {
              return owner.active;
            },
            commit: commit(owner),
          },
          restored,
        ),
    });
  return { ...bound(log), subscribeOwned };
}

function bound(log: EventLog): EventLog {
  return {
    ensureTopics: (specs) => log.ensureTopics(specs),
    append: (topic, records) => log.append(topic, records),
    subscribe: (options) => log.subscribe(options),
    subscribeOwned: (options) => log.subscribeOwned(options),
    groupMembers: (groupId, topic) => log.groupMembers(groupId, topic),
    readAll: (topic, partitions) => log.readAll(topic, partitions),
    hasTopic: (topic) => log.hasTopic(topic),
    endOffsets: (topic) => log.endOffsets(topic),
    startOffsets: (topic) => log.startOffsets(topic),
    health: () => log.health(),
    close: () => log.close(),
  };
}
