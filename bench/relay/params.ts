/** The run's settings, from the environment (BENCH_RELAY_*), and the SKUs it reserves on. */

import { intEnv } from '../lib/params';

const EVENTS = intEnv('BENCH_RELAY_EVENTS', 20_000);
export const PARAMS = {
  skus: intEnv('BENCH_RELAY_SKUS', 50),
  events: EVENTS,
  /** Reservations made while the bridge is stopped, relayed in one go when it is back. */
  catchUpEvents: intEnv('BENCH_RELAY_CATCHUP_EVENTS', EVENTS),
  concurrency: intEnv('BENCH_RELAY_CONCURRENCY', 64),
  rawBatchSize: 500,
  // The snapshotter only publishes when a batch arrives, so after the load stops the snapshots
  // may lag by up to this many events: small runs need a small interval to make the snapshot
  // rebuild mean anything.
  snapshotEveryEvents: intEnv('BENCH_RELAY_SNAPSHOT_EVERY', Math.max(100, Math.min(1_000, Math.floor(EVENTS / 20)))),
  rssSampleMs: 250,
  // How long the outboxes may take to drain after the last reservation answered (or, in the
  // catch-up phase, after the bridge is back).
  drainTimeoutMs: intEnv('BENCH_RELAY_DRAIN_TIMEOUT_MS', 180_000),
};

const skuName = (i: number) => `RELAY-${String(i).padStart(3, '0')}`;
export const SKUS = Array.from({ length: PARAMS.skus }, (_, i) => skuName(i));
