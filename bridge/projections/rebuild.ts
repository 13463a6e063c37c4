import { randomUUID } from 'node:crypto';
import type { EdgeClient } from '../edge/client';
import type { EventLog } from '../eventLog/port';
import { EVENTS_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import type { RebuildSource, RebuildStatus } from './rebuildStatus';
import { SkuStates } from './skuStates';
import { loadSnapshots, resumeAfter } from './snapshots';

export type RebuildFrom = RebuildSource;
export type { RebuildStatus };

export type RebuildOptions = { log: EventLog; edge: EdgeClient; logger: Logger; from: RebuildFrom; graceSeconds: number };

const VIEWS_PER_BATCH = 500;
const FLUSH_EVERY_MS = 500;
/** Longer than any isolate trusts its copy of the generations, so every object writes the shadow too. */
const REGISTRY_SETTLE_MS = 1_500;
/** An object writes its keys at most once a second (the KV limit). */
const KV_SECOND_MS = 1_100;
const SYNC_ATTEMPTS = 30;

/**
 * A blue-green rebuild of the read model: a shadow generation is created (live writes reach it at
 * once), the log is replayed into it from offset 0 or from the snapshots, every SKU's view is
 * sent, and the shadow becomes active in one step. Readers see the old generation until then, and
 * the old one keeps being written through the grace period.
 */
export function startRebuild(options: RebuildOptions): { status: RebuildStatus; done: Promise<void> } {
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
  };
  const done = run(options, status).catch((error: unknown) => {
    status.state = 'failed';
    status.error = error instanceof Error ? error.message : String(error);
    status.finishedAt = Date.now();
    options.logger.error({ err: error, rebuild: status.id }, 'projection rebuild failed');
  });
  return { status, done };
}

async function run({ log, edge, logger, from, graceSeconds }: RebuildOptions, status: RebuildStatus): Promise<void> {
  const generations = await edge.createShadow();
  status.generation = generations.shadow!;
  status.previous = generations.active;
  const states = new SkuStates(edge);
  const startAt = new Map<number, string>();
  if (from === 'snapshots') {
    const snapshots = await loadSnapshots(log);
    for (const snapshot of snapshots.skus) states.load(snapshot);
    for (const [partition, offset] of resumeAfter(snapshots.checkpoints)) startAt.set(partition, offset);
    status.snapshotSkus = snapshots.skus.length;
  }
  const ends = await log.endOffsets(EVENTS_TOPIC);
  const remaining = new Set([...ends].filter(([p, end]) => BigInt(end) > BigInt(startAt.get(p) ?? '0')).map(([p]) => p));
  status.total = [...ends].reduce((n, [p, end]) => n + Math.max(0, Number(end) - Number(startAt.get(p) ?? '0')), 0);
  logger.info({ rebuild: status.id, from, generation: status.generation, total: status.total }, 'projection rebuild started');

  const dirty = new Set<string>();
  /** Sends the views; answers the SKUs whose objects deferred them (written less than a second ago). */
  const flush = async (skus: Iterable<string>): Promise<string[]> => {
    const all = [...skus];
    const deferred: string[] = [];
    for (let i = 0; i < all.length; i += VIEWS_PER_BATCH) {
      const chunk = all.slice(i, i + VIEWS_PER_BATCH);
      const result = await edge.writeViews({ generation: status.generation, views: chunk.map((sku) => states.counters(sku)) });
      if (result.deferred > 0 || result.refused > 0) deferred.push(...chunk);
    }
    return deferred;
  };
  let flushedAt = Date.now();
  let finished!: () => void;
  const caughtUp = new Promise<void>((resolve) => (finished = resolve));
  if (remaining.size === 0) finished();

  const subscription = await log.subscribe({
    groupId: `rebuild-${status.id}`,
    topic: EVENTS_TOPIC,
    fromBeginning: true,
    commit: false,
    startAt,
    onBatch: async (records) => {
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
        await flush(dirty);
        dirty.clear();
        flushedAt = Date.now();
      }
      if (remaining.size === 0) finished();
    },
  });
  try {
    await caughtUp;
  } finally {
    await subscription.stop();
  }

  // Every SKU, including those only the snapshots knew: the shadow must be complete, and as
  // fresh as the active generation, before it serves. Objects that wrote within the last second
  // defer; they are asked again until none does.
  status.phase = 'syncing';
  await new Promise((r) => setTimeout(r, Math.max(0, REGISTRY_SETTLE_MS - (Date.now() - status.startedAt))));
  let pending = await flush(states.skus());
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > SYNC_ATTEMPTS) throw new Error(`${pending.length} SKU view(s) still deferred after ${SYNC_ATTEMPTS} attempts`);
    await new Promise((r) => setTimeout(r, KV_SECOND_MS));
    pending = await flush(pending);
  }
  status.phase = 'switching';
  await edge.switchToShadow(graceSeconds);
  status.phase = 'done';
  status.state = 'switched';
  status.finishedAt = Date.now();
  progress(status);
  logger.info({ rebuild: status.id, read: status.read, replayed: status.replayed, ms: status.finishedAt - status.startedAt }, 'projection rebuild switched');
}

function progress(status: RebuildStatus): void {
  const seconds = Math.max(0.001, (Date.now() - status.startedAt) / 1000);
  status.eventsPerSecond = Math.round(status.read / seconds);
  const left = status.total - status.read;
  status.etaSeconds = status.eventsPerSecond > 0 ? Math.ceil(left / status.eventsPerSecond) : null;
}
