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
import { IsolateHeap } from './history/isolateHeap';
import { rebuildHotSku } from './history/rebuildHot';

/**
 * Cost bounded by live work (invariant bounded-by-live-work), measured at flash-sale scale: one SKU driven to
 * 200,000 reservations in windows (throughput, p99 and workerd memory must not grow with the
 * history), the runtime restarted on that storage (the object's cold start), 50,000 holds falling
 * due at once while buyers keep reserving, the bridge rebuilding that SKU from offset 0, the pure
 * domain at 1,000 / 100,000 / 1,000,000 reservations, and 1,000,000 held causal events released.
 * BENCH_HISTORY_SALE_ONLY=1 runs the sale alone. Any BENCH_HISTORY_* setting writes
 * `history-partial.json`: `history.json` stays the full default run that others calibrate from.
 */
const SECRET = 'bench-internal-secret';
const log = (line: string) => console.log(line);

const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');
const SALE_ONLY = process.env.BENCH_HISTORY_SALE_ONLY === '1';
const RESULT = Object.keys(process.env).some((k) => k.startsWith('BENCH_HISTORY_')) ? 'history-partial' : 'history';

async function main() {
  log(`history benchmark: ${PARAMS.reservations.toLocaleString('en-US')} reservations on one SKU in windows of ${PARAMS.window.toLocaleString('en-US')}, ${PARAMS.connections} connections`);
  // Before the runtime starts, as always: these measure this process alone.
  if (!SALE_ONLY) log('domain: µs per command at 1,000 / 100,000 / 1,000,000 reservations');
  const domain = SALE_ONLY ? null : measureDomain();
  const causal = SALE_ONLY ? null : await measureCausalRelease();
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-history-'));
  const options = { port: await freePort(), stateDir, scriptPath: buildWorker(), inspectorPort: await freePort() };
  let edge = await startEdge({}, options);
  const heap = await IsolateHeap.open(options.inspectorPort);
  try {
    log('sale:');
    const windows = await saleInWindows(edge, log, PARAMS.reservations, { heap, stateDir });
    if (!domain || !causal) return reportSale(windows);
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
    heap.close();
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

type Windows = Results['windows'];

const maxOf = (windows: Windows, value: (w: Windows[number]) => number | undefined) => Math.max(...windows.map((w) => value(w) ?? 0));

/** The sale's own figures: throughput, latency and cost per window, and what the runtime's memory does. */
function saleFigures(windows: Windows) {
  const first = windows[0]!;
  const last = windows.at(-1)!;
  const targets = {
    lastWindowThroughputRatio: round(last.reservesPerSecond / first.reservesPerSecond, 2),
    lastWindowP99Ratio: round(last.p99 / first.p99, 2),
    rssGrowthMiB: round(maxOf(windows, (w) => w.rssMaxMiB) - first.rssMaxMiB),
    heapReachableGrowthMiB: windows.reachable ? round(windows.reachable.after.heapReachableMiB - windows.reachable.before.heapReachableMiB, 2) : null,
    heapUsedPeakMiB: round(maxOf(windows, (w) => w.heapUsedMiB), 2),
    lastWindowCpuPerReservationRatio: round(last.workerdCpuMsPerReservation / first.workerdCpuMsPerReservation, 2),
  };
  const checks: Row[] = [
    { target: 'last window throughput ≥ 0.9× first', measured: targets.lastWindowThroughputRatio, verdict: verdict(targets.lastWindowThroughputRatio >= 0.9) },
    { target: 'last window p99 ≤ 1.2× first', measured: targets.lastWindowP99Ratio, verdict: verdict(targets.lastWindowP99Ratio <= 1.2) },
    { target: 'workerd CPU per reservation, last window ÷ first (cost, not wall time)', measured: targets.lastWindowCpuPerReservationRatio, verdict: verdict(targets.lastWindowCpuPerReservationRatio <= 1.1) },
    { target: 'workerd RSS peak ≤ first window + 64 MiB', measured: targets.rssGrowthMiB, verdict: verdict(targets.rssGrowthMiB <= 64) },
    { target: 'isolate heap reachable after the sale ≤ before + 8 MiB', measured: targets.heapReachableGrowthMiB, verdict: verdict(targets.heapReachableGrowthMiB !== null && targets.heapReachableGrowthMiB <= 8) },
  ];
  printTable('Sale windows (one hot SKU)', windows.map((w) => ({
    window: w.window, reservations: w.reservations, 'reservations/s': w.reservesPerSecond, 'req/s': w.requestsPerSecond, 'p50 ms': w.p50, 'p99 ms': w.p99, 'workerd CPU ms/reservation': w.workerdCpuMsPerReservation,
    'workerd RSS MiB': w.rssMaxMiB, 'anon MiB': w.rssAnonMiB, 'file MiB': w.rssFileMiB, 'isolate heap MiB (V8 used/total)': w.heapUsedMiB === undefined ? null : `${w.heapUsedMiB.toFixed(1)}/${w.heapTotalMiB!.toFixed(1)}`, 'other isolates MiB (live/total)': w.otherIsolatesHeapMiB === undefined ? null : `${w.otherIsolatesHeapMiB.toFixed(1)}/${w.otherIsolatesHeapTotalMiB!.toFixed(1)}`, 'SQLite files MiB': w.sqliteMiB,
  })));
  return { targets, checks };
}

function reportSale(windows: Windows) {
  const { targets, checks } = saleFigures(windows);
  printTable('Targets', checks);
  writeResult(RESULT, { parameters: { ...PARAMS, saleOnly: true }, targets, checks, windows, heapReachable: windows.reachable });
}

function report(results: Results) {
  const { windows, coldStart: cold, storm, rebuild, domain, causal } = results;
  const sale = saleFigures(windows);
  const micros = domain.map((d) => d.microsPerCommand);
  const targets = {
    ...sale.targets,
    coldStartFirstCommandMs: cold.firstCommandMs!,
    stormProbeP99MaxMs: storm.probeP99MaxMs,
    domainSpread: round(Math.max(...micros) / Math.min(...micros), 2),
    rebuildEventsPerSecond: rebuild.replayEventsPerSecond,
    causalReleaseSeconds: causal.seconds,
  };
  const checks: Row[] = [
    ...sale.checks,
    { target: 'cold start: first command ≤ 50 ms after the runtime answers', measured: targets.coldStartFirstCommandMs, verdict: verdict(targets.coldStartFirstCommandMs <= 50) },
    { target: `${PARAMS.storm.toLocaleString('en-US')} due holds: reservations p99 ≤ 200 ms meanwhile`, measured: targets.stormProbeP99MaxMs, verdict: verdict(targets.stormProbeP99MaxMs <= 200 && storm.expired === storm.holds) },
    { target: 'domain µs/command at 1k/100k/1M within ±20%', measured: targets.domainSpread, verdict: verdict(targets.domainSpread <= 1.2) },
    { target: 'rebuild of the hot SKU ≥ 50,000 events/s', measured: targets.rebuildEventsPerSecond, verdict: verdict(targets.rebuildEventsPerSecond >= 50_000) },
    { target: '1,000,000 held causal events released < 5 s, none lost', measured: targets.causalReleaseSeconds, verdict: verdict(causal.seconds < 5 && causal.lost === 0) },
  ];
  printTable('Cold start after a runtime restart', [cold]);
  printTable('Expiry storm', [{ holds: storm.holds, expired: storm.expired, 'first expiry ms after due': storm.firstExpiredAfterMs, 'last expiry ms after due': storm.lastExpiredAfterMs, 'expiries/s': storm.expiriesPerSecond, 'probe p99 max ms': storm.probeP99MaxMs }]);
  printTable('Bridge rebuild of the hot SKU', [rebuild]);
  printTable('Domain (decide + evolve) µs per command', domain.map((d) => ({ reservations: d.reservations, 'µs/command (median)': d.microsPerCommand })));
  printTable('Causal release', [causal]);
  printTable('Targets', checks);
  writeResult(RESULT, { parameters: PARAMS, targets, checks, windows, heapReachable: windows.reachable, coldStart: cold, storm, rebuild, domain, causal });
}

await main();
