import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EdgeAnswerError, type EdgeClient } from '../edge/client';
import type { ObjectStore } from '../archive/objectStore';
import type { EventLog } from '../eventLog/port';
import { EVENTS_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import { reportOf } from '../../src/contract/rebuildStatus';
import type { RebuildSource, RebuildStatus } from './rebuildStatus';
import { ShadowLease } from './shadowLease';
import { SkuFailures, SkuViewsFailedError } from './skuFailures';
import { SkuStates } from './skuStates';
import { bootstrapFromArchive } from './bootstrap';
import { loadSnapshots, resumeAfter } from './snapshots';

export type RebuildFrom = RebuildSource;
export type { RebuildStatus };

/** The waits of a rebuild; tests shorten them. */
export type RebuildTiming = {
  /** Longer than any isolate trusts its copy of the generations, so every object writes the shadow too. */
  registrySettleMs: number;
  /** An object writes its keys at most once a second (the KV limit): a deferred view is sent again after this. */
  kvSecondMs: number;
  /** Rounds of sending deferred views again before giving up. */
  syncRounds: number;
  /** Attempts per SKU whose view failed in the syncing phase, backoff from `retryBaseMs` doubling up to `retryMaxMs`. */
  skuAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long the registry keeps the shadow without a renewal (renewed every quarter of it). */
  leaseSeconds: number;
};

export const REBUILD_TIMING: RebuildTiming = {
  registrySettleMs: 1_500,
  kvSecondMs: 1_100,
  syncRounds: 30,
  skuAttempts: 5,
  retryBaseMs: 250,
  retryMaxMs: 4_000,
  leaseSeconds: 120,
};

export type RebuildOptions = {
  log: EventLog;
  edge: EdgeClient;
  logger: Logger;
  from: RebuildFrom;
  graceSeconds: number;
  /** This replica's advertised admin URL, reported with the status so that every replica can say where it runs. */
  endpoint?: string | null;
  timing?: Partial<RebuildTiming>;
  /** The bucket of the archive and its snapshots: required to rebuild `from: 'archive'`. */
  store?: ObjectStore | null;
};

/** The running rebuild the registry named when it refused to start another (ADR 0006: one at a time, for the group). */
export type RunningRebuild = { rebuild: string; generation: string; leaseUntil: number; endpoint: string | null };

/** Another rebuild holds the shadow's lease: this one did not start. */
export class RebuildRunningError extends Error {
  override readonly name = 'RebuildRunningError';
  constructor(readonly running: RunningRebuild) {
    const where = running.endpoint ? ` (bridge ${running.endpoint})` : '';
    super(`rebuild ${running.rebuild}${where} is running and holds shadow ${running.generation} until ${new Date(running.leaseUntil).toISOString()}: one rebuild at a time for the bridge group`);
  }
}

const VIEWS_PER_BATCH = 500;
const FLUSH_EVERY_MS = 500;
/** Failed SKUs shown in the status; the count says how many there are in all. */
const FAILED_SKUS_SHOWN = 100;

/**
 * A blue-green rebuild of the read model: a shadow generation is created (live writes reach it at
 * once), the log is replayed into it from offset 0 or from the snapshots, every SKU's view is
 * sent, and the shadow becomes active in one step. Readers see the old generation until then, and
 * the old one keeps being written through the grace period. A rebuild that fails gives its shadow
 * up (the registry stops it being written and deletes its keys).
 *
 * Answers once the registry leased it the shadow; throws RebuildRunningError when another
 * rebuild (on any replica) holds it, or the edge's error when it could not be asked.
 */
export async function startRebuild(options: RebuildOptions): Promise<{ status: RebuildStatus; done: Promise<void> }> {
  const status: RebuildStatus = {
    id: randomUUID(),
    from: options.from,
    state: 'running',
    phase: 'replaying',
    generation: '',
    previous: '',
    read: 0,
    replayed: 0,
    total: 0,
    snapshotSkus: 0,
    eventsPerSecond: 0,
    etaSeconds: null,
    startedAt: Date.now(),
    finishedAt: null,
    error: null,
    superseded: null,
    failedSkus: [],
    failedSkuCount: 0,
    endpoint: options.endpoint ?? null,
    leaseUntil: null,
    reportedAt: null,
  };
  const timing = { ...REBUILD_TIMING, ...options.timing };
  const created = await options.edge.createShadow(status.id, timing.leaseSeconds, reportOf(status)).catch((error: unknown) => {
    if (error instanceof EdgeAnswerError && error.code === 'rebuild_running') throw new RebuildRunningError(error.details as RunningRebuild);
    throw error;
  });
  status.generation = created.shadow!;
  status.previous = created.active;
  status.superseded = created.superseded;
  if (created.superseded) options.logger.warn({ rebuild: status.id, superseded: created.superseded }, 'retired the shadow generation a rebuild whose lease ran out left behind');

  const done = run(options, status, timing).catch(async (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const failed: RebuildStatus = { ...status, state: 'failed', finishedAt: Date.now(), error: message };
    Object.assign(status, failed, { error: `${message}${await abandon(options, failed)}` });
    options.logger.error({ err: error, rebuild: status.id, generation: status.generation }, 'projection rebuild failed');
  });
  return { status, done };
}

/** Gives the failed rebuild's shadow up, reporting the failure to the registry; says what became of the shadow, for the status. */
async function abandon({ edge, logger }: RebuildOptions, status: RebuildStatus): Promise<string> {
  try {
    const { abandoned } = await edge.abandonShadow(status.generation, reportOf(status));
    logger.info({ rebuild: status.id, generation: status.generation, abandoned }, 'failed rebuild gave its shadow up');
    return abandoned ? `; shadow ${status.generation} abandoned (no longer written, its keys are being deleted)` : '';
  } catch (error) {
    logger.warn({ err: error, rebuild: status.id, generation: status.generation }, 'could not abandon the shadow; the registry retires it when its lease runs out');
    return `; shadow ${status.generation} could not be abandoned now (the registry retires it when its lease runs out)`;
  }
}

async function run(options: RebuildOptions, status: RebuildStatus, timing: RebuildTiming): Promise<void> {
  const { edge, logger, graceSeconds } = options;
  let failed!: (error: Error) => void;
  let finished!: () => void;
  const caughtUp = new Promise<void>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  caughtUp.catch(() => undefined);
  const lease = new ShadowLease(edge, status.generation, timing.leaseSeconds, logger, (error) => failed(error), () => {
    progress(status);
    return reportOf(status);
  });
  try {
    const states = new SkuStates(edge);
    const failures = new SkuFailures({ attempts: timing.skuAttempts, baseMs: timing.retryBaseMs, maxMs: timing.retryMaxMs });
    const send = viewSender(edge, states, failures, status);
    await replay(options, status, states, send, { caughtUp, finished, failed });
    lease.check();

    // Every SKU, including those only the snapshots knew: the shadow must be complete, and as
    // fresh as the active generation, before it serves. Objects that wrote within the last second
    // defer, and are asked again until none does; a SKU whose object failed is retried alone.
    status.phase = 'syncing';
    await sleep(Math.max(0, timing.registrySettleMs - (Date.now() - status.startedAt)));
    failures.resetAttempts();
    let deferred = await send([...states.skus()]);
    for (let round = 1; ; round++) {
      lease.check();
      const retryAt = failures.nextRetryAt();
      if (deferred.length === 0 && retryAt === null) break;
      if (round > timing.syncRounds) throw new Error(`${deferred.length} SKU view(s) still deferred after ${timing.syncRounds} rounds`);
      const wakeAt = Math.min(deferred.length > 0 ? Date.now() + timing.kvSecondMs : Infinity, retryAt ?? Infinity);
      await sleep(Math.max(0, wakeAt - Date.now()));
      deferred = await send([...new Set([...deferred, ...failures.due(Date.now())])]);
    }
    if (failures.size > 0) throw new SkuViewsFailedError(failures, timing.skuAttempts);

    lease.check();
    status.phase = 'switching';
    progress(status);
    // The result the registry keeps is recorded with the switch itself, in one step.
    const result: RebuildStatus = { ...status, phase: 'done', state: 'switched', etaSeconds: null, finishedAt: Date.now() };
    await edge.switchToShadow(graceSeconds, status.generation, reportOf(result));
    Object.assign(status, result);
  } finally {
    lease.stop();
  }
  logger.info({ rebuild: status.id, read: status.read, replayed: status.replayed, ms: Date.now() - status.startedAt }, 'projection rebuild switched');
}

type Send = (skus: readonly string[]) => Promise<string[]>;

/**
 * Sends SKUs' views in batches and records, per SKU, what its object did; answers the SKUs that
 * were deferred. A batch the edge could not answer (unreachable, 5xx) fails each of its SKUs, to
 * be retried; one it refused (4xx: not the shadow any more, a bad signature) ends the rebuild.
 */
function viewSender(edge: EdgeClient, states: SkuStates, failures: SkuFailures, status: RebuildStatus): Send {
  return async (skus) => {
    const deferred: string[] = [];
    for (let i = 0; i < skus.length; i += VIEWS_PER_BATCH) {
      const chunk = skus.slice(i, i + VIEWS_PER_BATCH);
      try {
        const result = await edge.writeViews({ generation: status.generation, views: chunk.map((sku) => states.counters(sku)) });
        for (const outcome of result.outcomes) {
          if (outcome.result === 'failed') failures.failed(outcome.sku, outcome.code, outcome.message, Date.now());
          else failures.succeeded(outcome.sku);
          if (outcome.result === 'deferred') deferred.push(outcome.sku);
        }
      } catch (error) {
        if (error instanceof EdgeAnswerError && error.status >= 400 && error.status < 500) throw error;
        const message = (error instanceof Error ? error.message : String(error)).slice(0, 300);
        for (const sku of chunk) failures.failed(sku, 'edge_unavailable', message, Date.now());
      }
    }
    status.failedSkus = failures.list(FAILED_SKUS_SHOWN);
    status.failedSkuCount = failures.size;
    return deferred;
  };
}

type Completion = { caughtUp: Promise<void>; finished: () => void; failed: (error: Error) => void };

/** Reads the log up to the offsets taken at the start, folding it and sending what changed as it goes. */
async function replay({ log, logger, from, store }: RebuildOptions, status: RebuildStatus, states: SkuStates, send: Send, done: Completion): Promise<void> {
  const startAt = new Map<number, string>();
  /** Partition → the first offset the archive read for it does not cover (from the archive only). */
  let archiveReach = new Map<number, bigint>();
  if (from === 'snapshots') {
    const snapshots = await loadSnapshots(log);
    for (const snapshot of snapshots.skus) states.load(snapshot);
    for (const [partition, offset] of resumeAfter(snapshots.checkpoints)) startAt.set(partition, offset);
    status.snapshotSkus = snapshots.skus.length;
  } else if (from === 'archive') {
    if (!store) throw new Error('a rebuild from the archive needs ARCHIVE=on and its bucket (ARCHIVE_S3_*)');
    const booted = await bootstrapFromArchive({ store, log, logger }, states, (events) => {
      status.replayed = events;
      progress(status);
    });
    for (const [partition, offset] of booted.startAt) startAt.set(partition, offset);
    status.snapshotSkus = booted.snapshotSkus;
    status.read = booted.archiveEvents;
    archiveReach = new Map(booted.archivePartitions.map((p) => [p, BigInt(booted.covered.get(p) ?? '-1') + 1n]));
  }
  const [ends, starts] = await Promise.all([log.endOffsets(EVENTS_TOPIC), log.startOffsets(EVENTS_TOPIC)]);
  // What retention deleted is not read: a reader asking below the log's start begins at it. A fold
  // that needs those events (the beginning, a snapshot older than them) would be wrong, not short.
  for (const [p, start] of starts) {
    if (BigInt(start) <= BigInt(startAt.get(p) ?? '0')) continue;
    if (from !== 'archive') throw new Error(`partition ${p} of ${EVENTS_TOPIC} starts at offset ${start} (retention deleted older events), after where a rebuild from ${from} must read (${startAt.get(p) ?? '0'}): rebuild --from archive`);
    // The events between must be in what was read of the archive, or the states would be silently stale.
    const reach = archiveReach.get(p);
    if (reach === undefined || reach < BigInt(start)) {
      throw new Error(`partition ${p} of ${EVENTS_TOPIC} starts at offset ${start}, and the archive read covers it only up to ${reach === undefined ? 'nothing (the log still held it when the rebuild began)' : String(reach)}: events in between are in neither; start the rebuild again, or see ArchiveBehind in docs/operations.md`);
    }
    startAt.set(p, start);
  }
  const remaining = new Set([...ends].filter(([p, end]) => BigInt(end) > BigInt(startAt.get(p) ?? '0')).map(([p]) => p));
  // Events read from the archive count as read, and so in the total.
  status.total = status.read + [...ends].reduce((n, [p, end]) => n + Math.max(0, Number(end) - Number(startAt.get(p) ?? '0')), 0);
  logger.info({ rebuild: status.id, from, generation: status.generation, total: status.total }, 'projection rebuild started');

  const dirty = new Set<string>();
  let flushedAt = Date.now();
  let stopped = false;
  if (remaining.size === 0) done.finished();

  const subscription = await log.subscribe({
    groupId: `rebuild-${status.id}`,
    topic: EVENTS_TOPIC,
    fromBeginning: true,
    commit: false,
    startAt,
    onBatch: async (records) => {
      if (stopped) return;
      try {
        for (const record of records) {
          const end = BigInt(ends.get(record.partition) ?? '0');
          if (BigInt(record.offset) >= end) continue;
          status.read++;
          const applied = await states.apply(record);
          status.replayed += applied;
          if (applied > 0) dirty.add(record.key);
          if (BigInt(record.offset) >= end - 1n) remaining.delete(record.partition);
        }
        progress(status);
        if (Date.now() - flushedAt >= FLUSH_EVERY_MS || dirty.size >= VIEWS_PER_BATCH) {
          // What fails here is recorded and sent again in the syncing phase, with every SKU.
          await send([...dirty]);
          dirty.clear();
          flushedAt = Date.now();
        }
        if (remaining.size === 0) done.finished();
      } catch (error) {
        // Ends the rebuild rather than having the log deliver the batch again and again.
        stopped = true;
        done.failed(error instanceof Error ? error : new Error(String(error)));
      }
    },
  });
  try {
    await done.caughtUp;
  } finally {
    await subscription.stop();
  }
}

function progress(status: RebuildStatus): void {
  const seconds = Math.max(0.001, (Date.now() - status.startedAt) / 1000);
  status.eventsPerSecond = Math.round(status.read / seconds);
  const left = status.total - status.read;
  status.etaSeconds = status.eventsPerSecond > 0 ? Math.ceil(left / status.eventsPerSecond) : null;
}
