import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/e2e/support/processes';
import { buildWorker, startEdge } from './lib/edge';
import { intEnv } from './lib/params';
import { printTable, writeResult } from './lib/report';
import { expiryStorm, PARAMS, saleInWindows } from './history/edgePhases';

/**
 * The expiry storm of `bench:history` on its own (a few minutes instead of half an hour), for
 * tuning the alarm: a short sale to learn this machine's reservation rate, then `storm` holds
 * falling due in the same second while buyers keep reserving. The SKU's history does not change
 * the cost of an expiry (invariant bounded-by-live-work, measured by `bench:history`), so a short sale is enough here.
 */
const log = (line: string) => console.log(line);
const SALE_RESERVATIONS = intEnv('BENCH_STORM_SALE', 10_000);

async function main() {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-storm-'));
  const edge = await startEdge({}, { port: await freePort(), stateDir, scriptPath: buildWorker() });
  try {
    log('sale (to learn the reservation rate):');
    const [first] = await saleInWindows(edge, log, SALE_RESERVATIONS);
    log('expiry storm:');
    const storm = await expiryStorm(edge, first!.reservesPerSecond, log);
    printTable('Expiry storm', [{ holds: storm.holds, expired: storm.expired, 'first expiry ms after due': storm.firstExpiredAfterMs, 'last expiry ms after due': storm.lastExpiredAfterMs, 'expiries/s': storm.expiriesPerSecond, 'probe p99 max ms': storm.probeP99MaxMs }]);
    printTable('Probe windows (buyers reserving through the storm)', storm.probe.map((w) => ({ window: w.window, 'reservations/s': w.reservesPerSecond, 'p50 ms': w.p50, 'p99 ms': w.p99 })));
    const met = storm.probeP99MaxMs <= 200 && storm.expired === storm.holds;
    printTable('Target', [{ target: `${PARAMS.storm.toLocaleString('en-US')} due holds: reservations p99 ≤ 200 ms meanwhile, every hold expired`, measured: storm.probeP99MaxMs, verdict: met ? 'met' : 'NOT MET' }]);
    writeResult('storm', { parameters: { storm: PARAMS.storm, saleReservations: SALE_RESERVATIONS, connections: PARAMS.connections }, storm, met });
  } finally {
    await edge.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
