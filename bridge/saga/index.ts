import { Gauge } from 'prom-client';
import type { BridgeConfig } from '../config';
import type { EdgeClient } from '../edge/client';
import type { EventLog } from '../eventLog/port';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { warehouseClients } from '../feed/warehouseClients';
import { warehouseServing, warehousesOf } from '../warehouses';
import { createExecutor } from './executor';
import { startSagaRunner, type SagaRunner } from './runner';
import { SagaStore } from './store';

export type RunningSagas = { store: SagaStore; runner: SagaRunner };

/**
 * Joins the saga group: the sagas of each partition assigned to this replica are restored from
 * their compacted topic and resumed, and new reservations of those partitions consumed.
 * `endpoint`: this replica's admin API, for the others to forward saga lookups to.
 */
export async function startSagas(config: BridgeConfig, log: EventLog, edge: EdgeClient, metrics: Metrics, logger: Logger, endpoint: string): Promise<RunningSagas> {
  const store = new SagaStore({ retentionMs: config.SAGA_RETENTION_SECONDS * 1000 });
  // Each location's allocations go to the warehouse system serving it (WAREHOUSES; one by default).
  const warehouses = warehousesOf(config);
  const clients = warehouseClients(warehouses);
  const wmsFor = (location: string | undefined) => clients(warehouseServing(warehouses, location).id);
  // A start retried after a failure registers it again: the previous attempt's gauge goes.
  metrics.registry.removeSingleMetric('bridge_sagas');
  new Gauge({
    name: 'bridge_sagas',
    help: 'Allocation sagas by phase',
    labelNames: ['phase'] as const,
    registers: [metrics.registry],
    collect() {
      for (const [phase, count] of Object.entries(store.countByPhase())) this.set({ phase }, count);
    },
  });
  const runner = await startSagaRunner({
    log,
    store,
    edge,
    execute: createExecutor(wmsFor, edge, config.WMS_CALL_TIMEOUT_MS),
    policy: {
      callTimeoutMs: config.WMS_CALL_TIMEOUT_MS,
      deadlineMs: config.ALLOCATION_DEADLINE_SECONDS * 1000,
      retryBaseMs: 200,
      retryMaxMs: 5_000,
      lateAllocateMs: config.WMS_LATE_ALLOCATE_MS,
    },
    concurrency: config.SAGA_CONCURRENCY,
    metrics,
    logger: logger.child({ component: 'saga' }),
    endpoint,
  });
  logger.info({ partitions: store.partitions(), sagas: store.countByPhase() }, 'WMS saga group joined');
  return { store, runner };
}
