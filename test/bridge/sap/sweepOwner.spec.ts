import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { KafkaEventLog } from '../../../bridge/eventLog/kafka';
import type { EventLog } from '../../../bridge/eventLog/port';
import { FEED_CONTROL_TOPIC, TOPICS } from '../../../bridge/eventLog/topics';
import { FEED_GROUP, startFeed, type RunningFeed } from '../../../bridge/feed/follower';
import { warehouseClients, type WarehouseClients } from '../../../bridge/feed/warehouseClients';
import { createMetrics } from '../../../bridge/metrics';
import type { SapClient } from '../../../bridge/sap/client';
import { straySweeps } from '../../../bridge/sap/sweep';
import type { Warehouse } from '../../../bridge/warehouses';
import { recordingEdge } from '../support/feedEdge';
import { CLIENT_PLANTS, land, liveDocuments, useSapClients } from './support/sapClient';
import { PASSWORD, USER } from './support/sapSimulator';

/**
 * The SAP stray sweep has an owner (state-has-an-owner): two bridge replicas on a real broker,
 * and only the one whose feed follows the SAP warehouse sweeps it; when that one leaves, the
 * replica that takes the warehouse over sweeps it from then on.
 */
const brokers = [inject('kafkaBrokers')];
const logger = pino({ level: 'silent' });
const { start } = useSapClients();
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function waitFor(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await probe()); await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

/** The log, its owned groups renamed apart from any other spec's on the same broker. */
function apart(log: EventLog, suffix: string): EventLog {
  return new Proxy(log, {
    get: (target, name: keyof EventLog) =>
      name === 'subscribeOwned' ? (options: Parameters<EventLog['subscribeOwned']>[0]) => target.subscribeOwned({ ...options, groupId: `${options.groupId}.${suffix}` }) : (target[name] as (...args: unknown[]) => unknown).bind(target),
  });
}

type Round = { replica: string; after: string | null; through?: string | null };

describe('the stray sweep of an SAP warehouse, with two replicas', () => {
  it('only the replica following the warehouse sweeps it; a takeover moves the sweep, which goes on from that replica’s own position or a full round', async () => {
    const { simulator, client } = await start();
    const id = `sap-${randomUUID().slice(0, 8)}`;
    const group = randomUUID().slice(0, 8);
    const warehouse: Warehouse = { id, kind: 'odata', url: simulator.url, user: USER, password: PASSWORD, plants: CLIENT_PLANTS, locations: Object.keys(CLIENT_PLANTS) };
    const rounds: Round[] = [];

    const replica = async (name: string) => {
      const log = new KafkaEventLog({ brokers, clientId: `sweep-owner-${name}`, replicationFactor: -1, partitions: 12, logger });
      await log.ensureTopics(TOPICS);
      const made = warehouseClients([warehouse]);
      // Every round this replica runs, with the position it started from and the one it reached.
      const clients: WarehouseClients = async (w) => {
        const sap = (await made(w)) as SapClient;
        return {
          ...sap,
          sweepStrays: async (after: string | null, timeoutMs: number) => {
            const round: Round = { replica: name, after };
            rounds.push(round);
            const swept = await sap.sweepStrays(after, timeoutMs);
            round.through = swept.through;
            return swept;
          },
        };
      };
      const feed: RunningFeed = await startFeed({
        log: apart(log, group),
        warehouses: [warehouse],
        edge: recordingEdge(),
        clients,
        metrics: createMetrics(),
        logger,
        endpoint: `http://${name}.test:8798`,
        pollMs: 100,
        pageSize: 10,
        callTimeoutMs: 2_000,
        ownedWork: straySweeps({ clients, everyMs: 100, callTimeoutMs: 2_000, logger }),
      });
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        await feed.stop();
        await log.close();
      };
      stops.push(stop);
      return { name, log, stop, follows: () => feed.following().some((f) => f.warehouse === id) };
    };

    const a = await replica('a');
    await waitFor(a.follows, 'replica a following the warehouse');
    const b = await replica('b');
    // Settled: both members hold partitions, and exactly one follows the warehouse.
    await waitFor(async () => {
      const members = await a.log.groupMembers(`${FEED_GROUP}.${group}`, FEED_CONTROL_TOPIC);
      return members.length === 2 && members.every((m) => m.partitions.length > 0) && a.follows() !== b.follows();
    }, 'the group of two settled');
    const [owner, other] = a.follows() ? [a, b] : [b, a];

    const settled = rounds.length;
    expect(await client.allocate('res_o', 'SKU-A', 1, 2_000, 'FRA-1')).toEqual({ status: 'allocated', allocationId: '0000000001' });
    await land(simulator, 'res_o');
    await waitFor(async () => (await liveDocuments(simulator, 'res_o')).length === 1, 'the stray swept');
    const swept = rounds.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(rounds.length - swept).toBeGreaterThanOrEqual(2);
    expect(new Set(rounds.slice(settled).map((r) => r.replica))).toEqual(new Set([owner.name]));

    // The owner leaves; its rounds end with its feed.
    const own = rounds.filter((r) => r.replica === other.name && r.through !== undefined).at(-1);
    await owner.stop();
    const left = rounds.length;
    await waitFor(other.follows, `replica ${other.name} following the warehouse`);
    await land(simulator, 'res_o');
    await waitFor(async () => (await liveDocuments(simulator, 'res_o')).length === 1, 'the second stray swept by the new owner');
    expect(await liveDocuments(simulator, 'res_o')).toEqual(['0000000001']);
    const taken = rounds.slice(left);
    expect(new Set(taken.map((r) => r.replica))).toEqual(new Set([other.name]));
    // Its first round: from where its own last round got to while it owned the warehouse before, else a full one.
    expect(taken[0]!.after).toBe(own?.through ?? null);
  });
});
