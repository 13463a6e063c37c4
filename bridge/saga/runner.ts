import pLimit from 'p-limit';
import { decideSaga, type SagaCommand, type SagaMessage, type SagaPolicy } from '../../src/domain/allocation';
import type { SkuEvent } from '../../src/domain/sku';
import { applyInOrder, type OrderedBatch } from '../consumers/orderedEvents';
import type { EdgeClient } from '../edge/client';
import type { EventLog, Subscription } from '../eventLog/port';
import { EVENTS_TOPIC, SAGAS_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Executor } from './executor';
import { withLegacySagas } from './legacyImport';
import { reopenForRelease, reopenForResourcing } from './reopen';
import type { SagaStore } from './store';

export const SAGA_GROUP = 'wms-saga';
const TICK_MS = 100;

export type SagaRunnerDeps = {
  log: EventLog;
  store: SagaStore;
  edge: EdgeClient;
  execute: Executor;
  policy: SagaPolicy;
  /** Commands in flight at once across all sagas. */
  concurrency: number;
  metrics: Metrics;
  logger: Logger;
  /** How the other replicas reach this one's admin API, advertised to the group. */
  endpoint: string;
  now?: () => number;
};

export type SagaRunner = {
  /** Resumes a saga now (a stuck one where it stopped); false if this replica owns no such saga. */
  retry(reservationId: string): boolean;
  stop(): Promise<void>;
};

/** The SKU events a saga reacts to, as saga messages. */
function toMessage(event: SkuEvent): [string, SagaMessage] | null {
  switch (event.type) {
    case 'StockReserved':
      return [
        event.data.reservationId,
        {
          type: 'Reserved',
          sku: event.sku,
          reservationId: event.data.reservationId,
          qty: event.data.qty,
          version: event.version,
          at: Date.parse(event.at),
          expiresAt: Date.parse(event.data.expiresAt),
          location: event.data.location,
        },
      ];
    case 'ReservationResourced': {
      const { reservationId, from, to, completed } = event.data;
      return [reservationId, { type: 'Resourced', from, to, completed, version: event.version }];
    }
    case 'AllocationConfirmed':
      return [event.data.reservationId, { type: 'AllocationConfirmed', allocationId: event.data.allocationId }];
    case 'ReservationCompleted':
      return [event.data.reservationId, { type: 'Completed' }];
    case 'StockReleased':
      return [event.data.reservationId, { type: 'Released', reason: event.data.reason }];
    default:
      return null;
  }
}

/**
 * Runs every reservation's allocation saga: SKU events from the log and executor replies go
 * through the pure saga decider; its commands run with bounded concurrency; a ticker issues
 * retries and deadline checks. State is flushed before the consumer commits, and periodically.
 */
export async function startSagaRunner(deps: SagaRunnerDeps): Promise<SagaRunner> {
  const { store, policy, metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  const limit = pLimit(deps.concurrency);
  const inFlight = new Map<string, number>();
  let stopping = false;

  /** `partition`: where a saga this message starts belongs; an existing one stays in its own. */
  function handle(reservationId: string, message: SagaMessage, partition?: number): void {
    const before = store.get(reservationId);
    // A reply for a saga of a partition this replica no longer owns: the owner re-issues it.
    if (!before && partition === undefined) return;
    const { saga, commands } = decideSaga(before ?? null, message, policy, now());
    if (!saga) return;
    if (saga !== before) store.put(saga, partition);
    if (before && saga.phase !== before.phase) {
      metrics.sagaTransitions.inc({ from: before.phase, to: saga.phase });
      if (saga.phase === 'stuck') logger.error({ reservationId, sku: saga.sku, error: saga.lastError }, 'saga stuck');
      if (saga.phase === 'overdue') logger.warn({ reservationId, sku: saga.sku, error: saga.lastError }, 'saga overdue: a completed purchase the WMS has not answered past the deadline; retrying');
    }
    // Suspended by a rebalance: the command is leased, and whoever owns the saga next issues it.
    if (!store.mayAct(reservationId)) return;
    for (const command of commands) void execute(reservationId, command);
  }

  async function execute(reservationId: string, command: SagaCommand): Promise<void> {
    inFlight.set(reservationId, (inFlight.get(reservationId) ?? 0) + 1);
    try {
      const reply = await limit(() => deps.execute(command));
      metrics.sagaCommands.inc({ command: command.type, outcome: reply.type === 'CallFailed' ? 'failed' : 'answered' });
      if (reply.type === 'CallFailed') logger.debug({ reservationId, command: command.type, error: reply.error }, 'saga command failed');
      if (!stopping) handle(reservationId, reply);
    } finally {
      const left = (inFlight.get(reservationId) ?? 1) - 1;
      if (left === 0) inFlight.delete(reservationId);
      else inFlight.set(reservationId, left);
    }
  }

  const ordered = (partition: number): OrderedBatch => ({
    log: deps.log,
    groupId: SAGA_GROUP,
    edge: deps.edge,
    versions: store.versionsOf(partition),
    metrics,
    logger,
    // A saga follows its own SKU's events; a cause in another SKU is another partition's, and owner's.
    followCauses: false,
    apply: async (event) => {
      const message = toMessage(event);
      if (!message) return;
      // Only events past this SKU's cursor get here: a saga unknown now was retired (finished),
      // and its old events, redelivered, were skipped as duplicates. A release of one that sold
      // (refundDue) is the refund of a completed purchase: the WMS must cancel it. Any other
      // release of a retired saga is the saga's own compensation, read after the saga finished
      // on the command's reply (a lagging consumer): it is over, and reopening it would cancel
      // at the WMS again and mark it completed.
      if (event.type === 'StockReleased' && !store.get(event.data.reservationId)) {
        if (!event.data.refundDue) return;
        logger.info({ reservationId: event.data.reservationId, sku: event.sku, reason: event.data.reason }, 'release of a retired saga: reopened to cancel at the WMS');
        store.put(reopenForRelease(event, now()), partition);
        return;
      }
      // Sold units re-sourced after their saga finished (ADR 0015): allocated again at the new
      // location, cancelled at the old one (invariant no-sale-undone-by-our-outage).
      if (event.type === 'ReservationResourced' && !store.get(event.data.reservationId)) {
        logger.info({ reservationId: event.data.reservationId, sku: event.sku, from: event.data.from, to: event.data.to }, 're-sourcing of a retired saga: reopened');
        store.put(reopenForResourcing(event, now()), partition);
        return;
      }
      handle(...message, partition);
    },
  });

  // Saga state is owned by the partition of the events it follows (docs/adr/0001-bridge-as-a-group.md):
  // restored on assignment, forgotten on revocation, committed with the batch's offset.
  const subscription: Subscription = await deps.log.subscribeOwned({
    groupId: SAGA_GROUP,
    topic: EVENTS_TOPIC,
    fromBeginning: true,
    stateTopics: [SAGAS_TOPIC],
    endpoint: deps.endpoint,
    onAssigned: async (owner, restored) => {
      store.restore(owner, await withLegacySagas(deps.log, owner, restored));
      logger.info({ partition: owner.partition, sagas: store.countByPhase() }, 'saga partition restored');
    },
    onSuspended: () => undefined,
    // Taken over, or back from a suspension: no attempt went out meanwhile (a command decided while
    // suspended is not sent), so the WMS's silence says nothing; only now, active, may the deadline
    // start again (invariant no-sale-undone-by-our-outage).
    onResumed: (partition) => {
      for (const saga of store.sagasOf(partition)) handle(saga.reservationId, { type: 'Resumed' });
    },
    onRevoked: (partition) => store.revoke(partition),
    onBatch: async (records, owner) => {
      await applyInOrder(ordered(owner.partition), records);
      await store.flush(owner.partition, (BigInt(records.at(-1)!.offset) + 1n).toString());
    },
  });

  // Retries and deadlines: whatever is due and not already being worked on; finished sagas past
  // their retention retired (their tombstones go out with the flush).
  const ticker = setInterval(() => {
    for (const id of store.active()) if (!inFlight.has(id) && store.mayAct(id)) handle(id, { type: 'Tick' });
    store.retire();
    if (store.pendingWrites > 0) store.flush().catch((error: unknown) => logger.warn({ err: error }, 'saga state flush failed; retrying'));
  }, TICK_MS);

  return {
    retry(reservationId) {
      if (!store.get(reservationId) || !store.mayAct(reservationId)) return false;
      handle(reservationId, { type: 'Retry' });
      return true;
    },
    async stop() {
      stopping = true;
      clearInterval(ticker);
      // While the partitions are still ours; replies still in flight are dropped: their commands
      // are re-issued after the lease by whoever owns the saga next, idempotently.
      await store.flush().catch((error: unknown) => logger.warn({ err: error }, 'saga state not flushed at stop; the next owner re-derives it'));
      await subscription.stop();
    },
  };
}
