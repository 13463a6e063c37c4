import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../logger';
import { OwnershipLostError } from './errors';
import { advertising } from './kafkaMembers';
import { TransactionalOwner, transactionalIdOf } from './kafkaOwner';
import type { ConsumedRecord, OwnedSubscribe, Subscription } from './port';

/**
 * Partition-owned state on Kafka, as Kafka Streams does it with exactly-once (docs/adr/0001):
 * one transactional producer per input partition, its id derived from the group, topic and
 * partition, so the replica that is assigned a partition fences every earlier owner when it
 * initialises the producer (Kafka aborts the old owner's open transaction and refuses its later
 * ones). Only then is the partition's state read back (committed records only) and its batches
 * delivered; each commit carries the state records and the input offset in one transaction.
 */

/** A dead replica leaves the group after this: the bound on how long its partitions wait for a new owner. */
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 1_000;
const REBALANCE_TIMEOUT_MS = 20_000;
/** A transaction a dead owner left open is aborted by the broker after this, if no new owner fenced it first. */
const TRANSACTION_TIMEOUT_MS = 15_000;
const HEARTBEAT_WHILE_HANDLING_MS = 2_000;
/**
 * Between attempts to rejoin: short, since while no member works a partition its sagas wait (a
 * broker restart left them idle 11 s with a doubling up to 30 s); a failed attempt costs one
 * connection attempt, and kafkajs's own connect retries pace it further.
 */
const RESTART_FIRST_MS = 200;
const RESTART_MAX_MS = 2_000;
const SUSPENDED_PAUSE_MS = 100;

export type OwnedGroupDeps = {
  kafka: Kafka;
  logger: Logger;
  maxBytes: number;
  /** Committed records of the state topics' given partitions (read_committed), compacted. */
  readState: (topic: string, partitions: ReadonlySet<number>) => Promise<ConsumedRecord[]>;
};

/**
 * One replica's membership of an owned group: a consumer whose assignment decides what it owns.
 * A rebalance suspends every partition at once (before this member rejoins, so the old owner
 * stops before the new one starts); the join that follows resumes the kept ones, fences and
 * restores the new ones and forgets the lost ones. A producer that is fenced or broken ends the
 * membership: it rejoins as a new member, the way Kafka Streams handles a migrated task.
 */
export async function startOwnedGroup(deps: OwnedGroupDeps, options: OwnedSubscribe): Promise<Subscription> {
  const log = deps.logger.child({ component: 'owned-group', groupId: options.groupId });
  const owners = new Map<number, TransactionalOwner>();
  /** Partitions being acquired: their batches wait for these. */
  const acquiring = new Map<number, Promise<TransactionalOwner | null>>();
  let consumer: Consumer | null = null;
  let stopping = false;
  let restarting: Promise<void> | null = null;
  let generation = 0;
  /** Between a rebalance's start (or a crash) and the next join: nothing may start work. */
  let rebalancing = false;
  /** One acquisition at a time: two producers of one transactional id in this process would fence each other. */
  let acquisitions: Promise<unknown> = Promise.resolve();

  const suspendAll = (why: string) => {
    rebalancing = true;
    for (const owner of owners.values()) {
      if (!owner.active) continue;
      owner.suspend(true);
      options.onSuspended(owner.partition);
    }
    if (owners.size > 0) log.info({ partitions: [...owners.keys()], why }, 'partitions suspended');
  };

  /**
   * Written by an owner when it takes or keeps a partition: the topic's own record of who owns
   * it, and for a kept partition the proof that no one fenced this replica in a generation it
   * missed (kafkajs rejoins on some errors without a rebalance event).
   */
  const claim = (owner: TransactionalOwner) =>
    owner.commit([{ topic: options.stateTopics[0]!, key: `owner:${owner.partition}`, value: JSON.stringify({ endpoint: options.endpoint, at: Date.now() }) }]);

  /** Work starts only outside a rebalance, in the generation it was decided in. */
  const start = (started: TransactionalOwner[], joined: number, how: 'acquired' | 'resumed') => {
    if (joined !== generation || rebalancing || stopping) return;
    for (const owner of started) {
      owner.suspend(false);
      options.onResumed(owner.partition);
    }
    if (started.length > 0) log.info({ partitions: started.map((o) => o.partition) }, `partitions ${how}`);
  };

  const revoke = async (partition: number) => {
    const owner = owners.get(partition);
    if (!owner) return;
    owners.delete(partition);
    owner.suspend(true);
    owner.lose();
    options.onRevoked(partition);
    await owner.producer.disconnect().catch(() => undefined);
  };

  const revokeAll = async () => {
    acquiring.clear();
    await Promise.all([...owners.keys()].map(revoke));
  };

  /** Fences the earlier owners of `partitions` and restores their state, then hands them over. */
  const acquire = async (partitions: number[], joined: number) => {
    const fenced = await Promise.all(
      partitions.map(async (partition) => {
        const producer = deps.kafka.producer({
          transactionalId: transactionalIdOf(options.groupId, options.topic, partition),
          idempotent: true,
          maxInFlightRequests: 1,
          transactionTimeout: TRANSACTION_TIMEOUT_MS,
        });
        await producer.connect();
        // The first transaction initialises the producer id: the broker bumps the epoch (fencing
        // every earlier owner) and aborts whatever transaction the last owner left open.
        await (await producer.transaction()).commit();
        return producer;
      }),
    );
    const wanted = new Set(partitions);
    const restored = (await Promise.all(options.stateTopics.map((topic) => deps.readState(topic, wanted)))).flat();
    const acquired: TransactionalOwner[] = [];
    for (const [i, partition] of partitions.entries()) {
      const owner = new TransactionalOwner(partition, fenced[i]!, options.groupId, options.topic, onBroken);
      if (joined !== generation || stopping) {
        await owner.producer.disconnect().catch(() => undefined);
        continue;
      }
      // Suspended until started: a rebalance may have begun while it was being restored.
      owner.suspend(true);
      owners.set(partition, owner);
      await options.onAssigned(
        owner,
        restored.filter((r) => r.partition === partition),
      );
      acquired.push(owner);
    }
    await Promise.all(acquired.map(claim));
    start(acquired, joined, 'acquired');
    return acquired;
  };

  const onJoin = (assigned: number[]) => {
    const joined = ++generation;
    rebalancing = false;
    const wanted = new Set(assigned);
    const kept = [...owners.keys()].filter((p) => wanted.has(p));
    const lost = [...owners.keys()].filter((p) => !wanted.has(p));
    const gained = assigned.filter((p) => !owners.has(p));
    for (const partition of lost) void revoke(partition);
    if (lost.length > 0) log.info({ partitions: lost }, 'partitions revoked');
    if (kept.length > 0) {
      const keeping = kept.map((p) => owners.get(p)!);
      // A failed claim (fenced: another replica owned it meanwhile, or the producer broke) ends the membership.
      Promise.all(keeping.map(claim)).then(
        () => start(keeping, joined, 'resumed'),
        (error: unknown) => onBroken(kept[0]!, error),
      );
    }
    if (gained.length === 0) return;
    const acquisition = acquisitions.then(() => acquire(gained, joined)).catch((error: unknown) => {
      log.error({ err: error, partitions: gained }, 'partitions could not be acquired: rejoining');
      onBroken(gained[0]!, error);
      return [] as TransactionalOwner[];
    });
    acquisitions = acquisition;
    for (const partition of gained) acquiring.set(partition, acquisition.then((owners) => owners.find((o) => o.partition === partition) ?? null));
  };

  const ownerOf = async (partition: number): Promise<TransactionalOwner | null> => {
    const owner = owners.get(partition);
    if (owner) return owner;
    return (await acquiring.get(partition)) ?? null;
  };

  /** Set when the member made by a rejoin crashed while it was joining (kafkajs reports that from inside `run`). */
  let crashedWhileRejoining = false;

  function onBroken(partition: number, error: unknown): void {
    if (stopping) return;
    if (restarting) {
      crashedWhileRejoining = true;
      return;
    }
    log.warn({ err: error, partition }, 'partition ownership lost or its producer broke: rejoining the group');
    restarting = (async () => {
      for (let attempt = 0; !stopping; attempt++) {
        crashedWhileRejoining = false;
        try {
          suspendAll('rejoining');
          const replaced = consumer;
          consumer = null;
          await replaced?.disconnect().catch(() => undefined);
          await revokeAll();
          if (stopping) return;
          await run();
          if (!crashedWhileRejoining) return;
          // The broker was back but not ready (a coordinator still loading, say): the new member is gone too.
          log.warn({ attempt }, 'the new member crashed while joining; rejoining again');
        } catch (retryError) {
          log.warn({ err: retryError, attempt }, 'could not rejoin the group; retrying');
        }
        await new Promise((r) => setTimeout(r, Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** attempt)));
      }
    })().finally(() => (restarting = null));
  }

  async function run(): Promise<Consumer> {
    const member = deps.kafka.consumer({
      groupId: options.groupId,
      maxBytes: deps.maxBytes,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      partitionAssigners: [advertising(options.endpoint)],
      // Never restarted by kafkajs: a consumer it revives after this one was replaced would join
      // as a second member of this replica, holding partitions no one works on. Every crash is a
      // new membership, made here.
      retry: { retries: 10, restartOnFailure: async () => false },
    });
    // Only the current member speaks for this replica: events of a replaced one are ignored.
    consumer = member;
    const current = () => consumer === member && !stopping;
    // Emitted synchronously before this member rejoins: the old owner stops before a new one starts.
    member.on(member.events.REBALANCING, () => current() && suspendAll('rebalancing'));
    member.on(member.events.GROUP_JOIN, ({ payload }) => current() && onJoin(payload.memberAssignment[options.topic] ?? []));
    member.on(member.events.CRASH, ({ payload }) => {
      if (!current()) return;
      // This member left the group: another may own its partitions before a new one joins.
      suspendAll('consumer crashed');
      onBroken(-1, payload.error);
    });
    await member.connect();
    try {
      await member.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning });
      await member.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // eslint-disable-next-line @typescript-eslint/unbound-method
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
          // Also while the partition is being fenced and restored: that must not outlast the session.
          const beating = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_WHILE_HANDLING_MS);
          try {
            const owner = current() ? await ownerOf(batch.partition) : null;
            // Not (or no longer) ours: nothing is resolved, and the next owner reads it from the committed
            // offset; a short pause, so a suspended partition is not fetched again in a tight loop.
            if (!owner?.active || batch.messages.length === 0) {
              await new Promise((r) => setTimeout(r, SUSPENDED_PAUSE_MS));
              return;
            }
            const records: ConsumedRecord[] = batch.messages.map((m) => ({
              topic: batch.topic,
              partition: batch.partition,
              offset: m.offset,
              timestamp: Number(m.timestamp),
              key: m.key?.toString() ?? '',
              value: m.value?.toString() ?? '',
              headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
            }));
            for (let attempt = 0; isRunning() && !isStale() && owner.active; attempt++) {
              try {
                await options.onBatch(records, owner);
                resolveOffset(batch.lastOffset());
                return;
              } catch (error) {
                if (error instanceof OwnershipLostError) return;
                log.warn({ err: error, partition: batch.partition }, 'batch handler failed; retrying');
                await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * 2 ** attempt)));
                await heartbeat().catch(() => undefined);
              }
            }
          } finally {
            clearInterval(beating);
          }
        },
      });
    } catch (error) {
      await member.disconnect().catch(() => undefined);
      throw error;
    }
    return member;
  }

  await run();
  return {
    stop: async () => {
      stopping = true;
      await restarting;
      suspendAll('stopping');
      await consumer?.disconnect().catch(() => undefined);
      await Promise.all([...acquiring.values()].map((a) => a.catch(() => null)));
      await revokeAll();
    },
  };
}
