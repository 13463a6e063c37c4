import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/e2e/support/processes';
import { buildWorker, startEdge } from './lib/edge';
import { printTable, writeResult, type Row } from './lib/report';
import { round } from './relay/figures';
import { measureCausalRelease } from './history/causalRelease';
import { measureDomain } from './history/domain';
import { coldStart, expiryStorm, PARAMS, saleInWindows, SKU } from './history/edgePhases';
import { rebuildHotSku } from './history/rebuildHot';

/**
 * Cost bounded by live work (invariant bounded-by-live-work), measured at flash-sale scale: one SKU driven to
 * 200,000 reservations in windows (throughput, p99 and workerd memory must not grow with the
 * history), the runtime restarted on that storage (the object's cold start), 50,000 holds falling
 * due at once while buyers keep reserving, the bridge rebuilding that SKU from offset 0, the pure
 * domain at 1,000 / 100,000 / 1,000,000 reservations, and 1,000,000 held causal events released.
 */
const SECRET = 'bench-internal-secret';
const log = (line: string) => console.log(line);

const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');

async function main() {
  log(`history benchmark: ${PARAMS.reservations.toLocaleString('en-US')} reservations on one SKU in windows of ${PARAMS.window.toLocaleString('en-US')}, ${PARAMS.connections} connections`);
  log('domain: µs per command at 1,000 / 100,000 / 1,000,000 reservations');
  const domain = measureDomain();
  const causal = await measureCausalRelease();

  const stateDir = mkdtempSync(join(tmpdir(), 'bench-history-'));
  const options = { port: await freePort(), stateDir, scriptPath: buildWorker() };
  let edge = await startEdge({}, options);
  try {
    log('sale:');
    const windows = await saleInWindows(edge, log);
    log('cold start:');
    const restarted = await coldStart(edge, options);
    edge = restarted.edge;
    log(`  ${JSON.stringify(restarted.result)}`);
    log('expiry storm:');
    const storm = await expiryStorm(edge, windows[0]!.reservesPerSecond, log);
    log('bridge rebuild of the hot SKU from offset 0:');
    const rebuild = await rebuildHotSku(edge, SKU, SECRET);
    report({ windows, coldStart: restarted.result, storm, rebuild, domain, causal });
  } finally {
    await edge.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

type Results = {
  windows: Awaited<ReturnType<typeof saleInWindows>>;
  coldStart: Record<string, number>;
  storm: Awaited<ReturnType<typeof expiryStorm>>;
  rebuild: Awaited<ReturnType<typeof rebuildHotSku>>;
  domain: ReturnType<typeof measureDomain>;
  causal: Awaited<ReturnType<typeof measureCausalRelease>>;
};

function report(results: Results) {
  const { windows, coldStart: cold, storm, rebuild, domain, causal } = results;
  const first = windows[0]!;
  const last = windows.at(-1)!;
  const micros = domain.map((d) => d.microsPerCommand);
  const targets = {
    lastWindowThroughputRatio: round(last.reservesPerSecond / first.reservesPerSecond, 2),
    lastWindowP99Ratio: round(last.p99 / first.p99, 2),
    rssGrowthMiB: round(Math.max(...windows.map((w) => w.rssMaxMiB)) - first.rssMaxMiB),
    lastWindowCpuPerReservationRatio: round(last.workerdCpuMsPerReservation / first.workerdCpuMsPerReservation, 2),
    coldStartFirstCommandMs: cold.firstCommandMs!,
    stormProbeP99MaxMs: storm.probeP99MaxMs,
    domainSpread: round(Math.max(...micros) / Math.min(...micros), 2),
    rebuildEventsPerSecond: rebuild.replayEventsPerSecond,
    causalReleaseSeconds: causal.seconds,
  };
  const checks: Row[] = [
    { target: 'last window throughput ≥ 0.9× first', measured: targets.lastWindowThroughputRatio, verdict: verdict(targets.lastWindowThroughputRatio >= 0.9) },
    { target: 'last window p99 ≤ 1.2× first', measured: targets.lastWindowP99Ratio, verdict: verdict(targets.lastWindowP99Ratio <= 1.2) },
    { target: 'workerd CPU per reservation, last window ÷ first (cost, not wall time)', measured: targets.lastWindowCpuPerReservationRatio, verdict: verdict(targets.lastWindowCpuPerReservationRatio <= 1.1) },
    { target: 'workerd RSS peak ≤ first window + 64 MiB', measured: targets.rssGrowthMiB, verdict: verdict(targets.rssGrowthMiB <= 64) },
    { target: 'cold start: first command ≤ 50 ms after the runtime answers', measured: targets.coldStartFirstCommandMs, verdict: verdict(targets.coldStartFirstCommandMs <= 50) },
    { target: `${PARAMS.storm.toLocaleString('en-US')} due holds: reservations p99 ≤ 200 ms meanwhile`, measured: targets.stormProbeP99MaxMs, verdict: verdict(targets.stormProbeP99MaxMs <= 200 && storm.expired === storm.holds) },
    { target: 'domain µs/command at 1k/100k/1M within ±20%', measured: targets.domainSpread, verdict: verdict(targets.domainSpread <= 1.2) },
    { target: 'rebuild of the hot SKU ≥ 50,000 events/s', measured: targets.rebuildEventsPerSecond, verdict: verdict(targets.rebuildEventsPerSecond >= 50_000) },
    { target: '1,000,000 held causal events released < 5 s, none lost', measured: targets.causalReleaseSeconds, verdict: verdict(causal.seconds < 5 && causal.lost === 0) },
  ];
  printTable('Sale windows (one hot SKU)', windows.map((w) => ({
    window: w.window, reservations: w.reservations, 'reservations/s': w.reservesPerSecond, 'req/s': w.requestsPerSecond, 'p50 ms': w.p50, 'p99 ms': w.p99, 'workerd CPU ms/reservation': w.workerdCpuMsPerReservation, 'workerd RSS MiB': w.rssMaxMiB,
  })));
  printTable('Cold start after a runtime restart', [cold]);
  printTable('Expiry storm', [{ holds: storm.holds, expired: storm.expired, 'first expiry ms after due': storm.firstExpiredAfterMs, 'last expiry ms after due': storm.lastExpiredAfterMs, 'expiries/s': storm.expiriesPerSecond, 'probe p99 max ms': storm.probeP99MaxMs }]);
  printTable('Bridge rebuild of the hot SKU', [rebuild]);
  printTable('Domain (decide + evolve) µs per command', domain.map((d) => ({ reservations: d.reservations, 'µs/command (median)': d.microsPerCommand })));
  printTable('Causal release', [causal]);
  printTable('Targets', checks);
  writeResult('history', { parameters: PARAMS, targets, checks, windows, coldStart: cold, storm, rebuild, domain, causal });
}

await main();
