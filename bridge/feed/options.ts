import type { EventLog, PartitionOwner } from '../eventLog/port';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Warehouse } from '../warehouses';
import type { FeedEdge } from './edgeMovements';
import type { WarehouseClients } from './warehouseClients';

export type FeedOptions = {
  log: EventLog;
  warehouses: readonly Warehouse[];
  edge: FeedEdge;
  clients: WarehouseClients;
  metrics: Metrics;
  logger: Logger;
  /** How the other replicas reach this one's admin API, advertised to the group. */
  endpoint: string;
  /** Between two reads once caught up. */
  pollMs: number;
  pageSize: number;
  /** Of every SOAP call. */
  callTimeoutMs: number;
  /** The pause after the first failure, doubling up to `backoffMaxMs`. */
  backoffFirstMs?: number;
  backoffMaxMs?: number;
  /**
   * Other work of a warehouse that only its follower does (the SAP stray sweep, bridge/sap/sweep.ts),
   * started and halted with the feed's loop; null: none for this warehouse.
   */
  ownedWork?: (warehouse: Warehouse, owner: PartitionOwner) => OwnedWork | null;
};

/** Work the follower of a warehouse runs beside its feed, for as long as it follows it. */
export type OwnedWork = {
  start(): void;
  /** Stops after the step in flight. */
  halt(): void;
  /** The step in flight, if any. */
  readonly done: Promise<void>;
};

