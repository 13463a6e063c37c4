import type { RebuildSource, RebuildStatus, SnapshotLag } from '../../bridge/projections/rebuildStatus';
import type { BridgeProcess } from '../../test/e2e/support/processes';
import { waitFor } from '../../test/e2e/support/system';
import { BENCH_BRIDGE_ADMIN_KEY, edgeCall } from '../lib/edge';
import { round } from './figures';
import { PARAMS, SKUS } from './params';

/** The bridge's read of its projections (edgeCall takes any base URL). */
const projections = async (bridge: BridgeProcess) => (await edgeCall(bridge.adminUrl, 'GET', '/admin/projections', BENCH_BRIDGE_ADMIN_KEY)).json;

/**
 * One blue-green rebuild through the bridge's admin API, polled to its switch. Besides the total
 * (which includes waiting for every isolate to learn of the shadow and the once-a-second KV
 * writes), the replay alone is timed to the first poll that sees the phase past `replaying`.
 */
export async function rebuild(bridge: BridgeProcess, from: RebuildSource) {
  const started = await edgeCall(bridge.adminUrl, 'POST', '/admin/projections/rebuild', BENCH_BRIDGE_ADMIN_KEY, { from, graceSeconds: 5 });
  if (started.status !== 202) throw new Error(`rebuild from ${from}: ${started.status} ${JSON.stringify(started.json)}`);
  let status = started.json as RebuildStatus;
  let replayedAt: number | null = null;
  await waitFor(`the rebuild from ${from} to switch`, async () => {
    status = (await projections(bridge)).rebuild as RebuildStatus;
    if (status.state === 'failed') throw new Error(`rebuild from ${from} failed: ${status.error}`);
    if (status.phase !== 'replaying') replayedAt ??= Date.now();
    return status.state === 'switched';
  }, 600_000, 100);
  const seconds = (status.finishedAt! - status.startedAt) / 1000;
  const replaySeconds = (replayedAt! - status.startedAt) / 1000;
  return {
    from,
    snapshotSkus: status.snapshotSkus,
    eventsRead: status.read,
    eventsReplayed: status.replayed,
    seconds: round(seconds, 3),
    eventsPerSecond: round(status.read / seconds),
    replaySeconds: round(replaySeconds, 2),
    replayEventsPerSecond: round(status.read / replaySeconds),
  };
}

/** The snapshotter publishes every few events; waits until the snapshots cover every SKU and all but one interval. */
export async function awaitSnapshots(bridge: BridgeProcess): Promise<SnapshotLag> {
  let lag: SnapshotLag = { skus: 0, lagEvents: Infinity };
  await waitFor('the snapshots to cover the log', async () => {
    lag = (await projections(bridge)).snapshots as SnapshotLag;
    return lag.skus >= SKUS.length && lag.lagEvents <= PARAMS.snapshotEveryEvents;
  }, 60_000, 250);
  return lag;
}
