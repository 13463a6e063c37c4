import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/e2e/support/processes';
import { buildWorker, startEdge } from '../lib/edge';
import { inspect, inspectorTargets } from '../lib/inspector';
import { intEnv } from '../lib/params';
import { printTable } from '../lib/report';
import { saleInWindows } from './edgePhases';
import { heapTop } from './heapTop';

/**
 * What the Worker's isolate holds after a sale on one hot SKU, by constructor, at two points
 * (`BENCH_DIAGNOSIS_RESERVATIONS` each): what grows between them is what the history costs.
 */
const STEP = intEnv('BENCH_DIAGNOSIS_RESERVATIONS', 5_000);
/** Another of the runtime's isolates by its inspector id (`cache:cache`, `kv:ns`, …); ours by default. */
const TARGET = process.env.BENCH_DIAGNOSIS_TARGET;

async function main() {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-heap-'));
  const inspectorPort = await freePort();
  const edge = await startEdge({}, { stateDir, inspectorPort, scriptPath: buildWorker({ minify: false }) });
  try {
    const tops = [];
    for (let i = 0; i < 2; i++) {
      await saleInWindows(edge, console.log, STEP);
      const target = TARGET ? (await inspectorTargets(inspectorPort)).find((t) => t.id === TARGET) : undefined;
      if (TARGET && !target) throw new Error(`no isolate ${TARGET}`);
      const inspector = await inspect(inspectorPort, target);
      tops.push(await heapTop(inspector, 40));
      inspector.close();
    }
    const [before, after] = tops as [Awaited<ReturnType<typeof heapTop>>, Awaited<ReturnType<typeof heapTop>>];
    printTable(`${TARGET ?? 'Our'} isolate heap by constructor after ${STEP.toLocaleString('en-US')} reservations`, before);
    printTable(`… and after ${(2 * STEP).toLocaleString('en-US')}`, after);
  } finally {
    await edge.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
