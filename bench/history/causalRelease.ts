import { pathToFileURL } from 'node:url';
import { CausalOrder, type Stamp } from '../../src/domain/core/causalDelivery';
import { machine, printTable } from '../lib/report';
import { round } from '../relay/figures';

const STREAMS = 4;

/**
 * Causal delivery when everything waits for one late cause (a partition that fell behind while
 * the others ran on): `count` events round-robin over 4 streams, each caused by the event before
 * it on another stream, offered newest first. All but the last offered are held, then that one
 * releases every other in one cascade. Checks each event came out once and in causal order;
 * the heap figure is the process's heap in use while all are held (the built events included).
 */
export async function measureCausalRelease(count = 1_000_000): Promise<{ events: number; delivered: number; lost: number; seconds: number; eventsPerSecond: number; heapUsedMiB: number }> {
  const events: Stamp[] = [];
  for (let i = 0; i < count; i++) {
    const previous = events[i - 1];
    events.push({ stream: `s${i % STREAMS}`, version: Math.floor(i / STREAMS) + 1, causedBy: previous ? { [previous.stream]: previous.version } : {} });
  }

  const order = new CausalOrder<Stamp>((s) => s);
  const started = performance.now();
  let early = 0;
  for (let i = count - 1; i >= 1; i--) early += order.offer(events[i]!, i).length;
  const heapUsedMiB = round(process.memoryUsage().heapUsed / 2 ** 20);
  const delivered = count > 0 ? order.offer(events[0]!, 0) : [];
  const seconds = (performance.now() - started) / 1000;

  if (early > 0) throw new Error(`${early} events delivered before their first cause arrived`);
  // Once each, in causal order: every event follows its stream's previous version and its causes.
  const seen = new Map<string, number>();
  for (const s of delivered) {
    if ((seen.get(s.stream) ?? 0) !== s.version - 1) throw new Error(`${s.stream}@${s.version} delivered after version ${seen.get(s.stream) ?? 0}`);
    for (const [stream, version] of Object.entries(s.causedBy)) {
      if ((seen.get(stream) ?? 0) < version) throw new Error(`${s.stream}@${s.version} delivered before its cause ${stream}@${version}`);
    }
    seen.set(s.stream, s.version);
  }
  if (order.heldCount !== count - delivered.length) throw new Error(`${order.heldCount} held, ${count - delivered.length} undelivered`);

  return { events: count, delivered: delivered.length, lost: count - delivered.length, seconds: round(seconds, 3), eventsPerSecond: Math.round(count / seconds), heapUsedMiB };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const count = Number(process.argv[2] ?? 1_000_000);
  const result = await measureCausalRelease(count);
  printTable(`Causal release: ${STREAMS} streams, offered newest first, one late cause`, [result]);
  console.log(JSON.stringify({ name: 'causal-release', machine: machine(), ...result }));
}
