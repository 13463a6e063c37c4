import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, buildWorker, edgeCall, startEdge } from './lib/edge';
import { inspect } from './lib/inspector';
import { runLoad } from './lib/load';
import { printTable, writeResult } from './lib/report';

/**
 * Where a reservation's CPU goes: V8's sampling profiler on the runtime's isolate (the Worker and
 * the SKU object share it here) while reservations run against one hot SKU. Prints self time by
 * function and by source (Worker routing, validation, hashing, the object, SQL bindings) and
 * keeps the `.cpuprofile` for Chrome's DevTools. `BENCH_PROFILE_STOCK=0` profiles a sold-out SKU
 * instead: the refusals the edge answers from memory (ADR 0020), the Worker's own cost per request.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const INSPECTOR_PORT = Number(process.env.BENCH_INSPECTOR_PORT ?? 9239);

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] };
type Profile = { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

function bySelfTime(profile: Profile) {
  const total = profile.samples.length;
  const functions = new Map<string, number>();
  const sources = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.split('/').pop() || '(native)';
    const name = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + hits);
    sources.set(file, (sources.get(file) ?? 0) + hits);
  }
  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, hits]) => ({ name, '% self': Number(((100 * hits) / total).toFixed(1)) }));
  return { functions: rows(functions, 40), sources: rows(sources, 15) };
}

async function main() {
  // BENCH_RESERVE_GROUP_MAX: the objects' group commit (ADR 0021); unset, the default (on); 1 decides each reserve alone.
  const edge = await startEdge(process.env.BENCH_RESERVE_GROUP_MAX ? { RESERVE_GROUP_MAX: process.env.BENCH_RESERVE_GROUP_MAX } : {}, { inspectorPort: INSPECTOR_PORT, scriptPath: buildWorker({ minify: false }) });
  try {
    await edgeCall(edge.url, 'PUT', '/v1/admin/skus/profiled/stock', BENCH_ADMIN_KEY, { onHand: Number(process.env.BENCH_PROFILE_STOCK ?? 100_000_000) });
    const spec = {
      url: edge.url,
      method: 'POST' as const,
      path: '/v1/skus/profiled/reservations',
      headers: { authorization: `Bearer ${BENCH_STOREFRONT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 'x', qty: 1 }),
      uniqueCustomers: true,
      connections: CONNECTIONS,
    };
    await runLoad({ ...spec, seconds: 2 }); // warm the JIT before sampling
    const inspector = await inspect(INSPECTOR_PORT);
    await inspector.send('Profiler.enable');
    await inspector.send('Profiler.setSamplingInterval', { interval: 100 });
    await inspector.send('Profiler.start');
    const load = await runLoad({ ...spec, seconds: SECONDS });
    const { profile } = await inspector.send<{ profile: Profile }>('Profiler.stop');
    inspector.close();
    const file = join(import.meta.dirname, 'results', 'reservation.cpuprofile');
    writeFileSync(file, JSON.stringify(profile));
    const { functions, sources } = bySelfTime(profile);
    const idle = functions.find((f) => f.name.startsWith('(idle)'))?.['% self'] ?? 0;
    console.log(`${load.rps.toFixed(0)} reservations/s at ${CONNECTIONS} connections, p99 ${load.p99} ms; isolate idle ${idle}% of samples`);
    printTable('Self time by source file', sources);
    printTable('Self time by function', functions);
    writeResult('profile', { parameters: { seconds: SECONDS, connections: CONNECTIONS }, load, sources, functions });
  } finally {
    await edge.close();
  }
}

await main();
