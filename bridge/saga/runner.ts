import pLimit from 'p-limit';
import { decideSaga, type SagaCommand, type SagaMessage, type SagaPolicy } from '../../src/domain/allocation';
import type { SkuEvent } from '../../src/domain/sku';
import { consumeInOrder } from '../consumers/orderedEvents';
import type { EdgeClient } from '../edge/client';
import type { EventLog, Subscription } from '../eventLog/port';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Executor } from './executor';
import { reopenForRelease } from './reopen';
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
  now?: () => number;
};

export type SagaRunner = {
  /** Resumes a saga now (a stuck one where it stopped); false if there is no such saga. */
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
        },
      ];
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

  function handle(reservationId: string, message: SagaMessage): void {
    const before = store.get(reservationId);
    const { saga, commands } = decideSaga(before ?? null, message, policy, now());
    if (!saga) return;
    if (saga !== before) store.put(saga);
    if (before && saga.phase !== before.phase) {
      metrics.sagaTransitions.inc({ from: before.phase, to: saga.phase });
      if (saga.phase === 'stuck') logger.error({ reservationId, sku: saga.sku, error: saga.lastError }, 'saga stuck');
      if (saga.phase === 'overdue') logger.warn({ reservationId, sku: saga.sku, error: saga.lastError }, 'saga overdue: a completed purchase the WMS has not answered past the deadline; retrying');
    }
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

  const subscription: Subscription = await consumeInOrder({
    log: deps.log,
    groupId: SAGA_GROUP,
    fromBeginning: true,
    edge: deps.edge,
    versions: store.versions,
    metrics,
    logger,
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
        store.put(reopenForRelease(event, now()));
        return;
      }
      handle(...message);
    },
    afterBatch: () => store.flush(),
  });

  // Retries and deadlines: whatever is due and not already being worked on; finished sagas past
  // their retention retired (their tombstones go out with the flush).
  const ticker = setInterval(() => {
    for (const id of store.active()) if (!inFlight.has(id)) handle(id, { type: 'Tick' });
    store.retire();
    if (store.pendingWrites > 0) store.flush().catch((error: unknown) => logger.warn({ err: error }, 'saga state flush failed; retrying'));
  }, TICK_MS);

  return {
    retry(reservationId) {
      if (!store.get(reservationId)) return false;
      handle(reservationId, { type: 'Retry' });
      return true;
    },
    async stop() {
      stopping = true;
      clearInterval(ticker);
      await subscription.stop();
      // Replies still in flight are dropped: their commands are re-issued after the lease, idempotently.
      await store.flush();
    },
  };
}
