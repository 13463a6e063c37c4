import { inspect, inspectorTargets, isUserTarget, type Inspector } from '../lib/inspector';
import { round } from '../relay/figures';
import { reachableBytes, takeSnapshot } from './heapTop';

export type Reachable = {
  /** Reachable from the isolate's roots (a heap snapshot's sizes summed): what the Worker and its objects retain (Cloudflare allows 128 MB per isolate). */
  heapReachableMiB: number;
  /** How long the snapshot paused the isolate. */
  snapshotMs: number;
};

export type HeapReading = {
  /** V8's used heap as it stands, garbage not yet collected included. */
  heapUsedMiB: number;
  /** The heap V8 has reserved for it. */
  heapTotalMiB: number;
  /** ArrayBuffer backing stores and the embedder's (workerd's) objects held by the isolate, outside the heap. */
  heapExternalMiB: number;
  /** Live heap of the runtime's other isolates (Miniflare's KV, Cache API and other simulators), summed. */
  otherIsolatesHeapMiB: number;
  /** The heap V8 has reserved for those other isolates, summed. */
  otherIsolatesHeapTotalMiB: number;
  /** Live heap of each other isolate by its inspector id (`kv:ns`, `cache:cache`, `core:entry`, …). */
  otherIsolates: Record<string, number>;
};

type HeapUsage = { usedSize: number; totalSize: number; embedderHeapUsedSize?: number; backingStorageSize?: number };

const mib = (bytes: number) => round(bytes / 2 ** 20, 2);

/**
 * The isolate heap of the Worker and its Durable Objects (one isolate in workerd), read through the
 * V8 inspector: V8's own used/total per window (`Runtime.getHeapUsage`, free, garbage included),
 * and what a heap snapshot finds reachable (exact, but a second's pause, and workerd keeps some
 * 100 MiB of native memory from the first one: taken before and after the sale, not per window).
 * Used-after-`HeapProfiler.collectGarbage` was tried: workerd runs that GC after it answers the
 * next request, so the figure swung 11–32 MiB with nothing growing.
 */
export class IsolateHeap {
  private constructor(
    private readonly user: Inspector,
    private readonly others: Inspector[],
    private readonly otherIds: string[],
  ) {}

  static async open(inspectorPort: number): Promise<IsolateHeap> {
    const targets = await inspectorTargets(inspectorPort);
    const user = targets.find(isUserTarget);
    if (!user) throw new Error('no core:user isolate among the inspector targets');
    const rest = targets.filter((t) => t !== user);
    const others = await Promise.all(rest.map((t) => inspect(inspectorPort, t)));
    return new IsolateHeap(await inspect(inspectorPort, user), others, rest.map((t) => t.id));
  }

  async reachable(): Promise<Reachable> {
    const started = performance.now();
    const bytes = reachableBytes(await takeSnapshot(this.user));
    return { heapReachableMiB: mib(bytes), snapshotMs: round(performance.now() - started) };
  }

  async read(): Promise<HeapReading> {
    const [usage, ...others] = await Promise.all([this.user, ...this.others].map((i) => i.send<HeapUsage>('Runtime.getHeapUsage')));
    return {
      heapUsedMiB: mib(usage!.usedSize),
      heapTotalMiB: mib(usage!.totalSize),
      heapExternalMiB: mib((usage!.embedderHeapUsedSize ?? 0) + (usage!.backingStorageSize ?? 0)),
      otherIsolatesHeapMiB: mib(others.reduce((sum, o) => sum + o.usedSize, 0)),
      otherIsolatesHeapTotalMiB: mib(others.reduce((sum, o) => sum + o.totalSize, 0)),
      otherIsolates: Object.fromEntries(others.map((o, i) => [this.otherIds[i]!, mib(o.usedSize)])),
    };
  }

  close(): void {
    for (const inspector of [this.user, ...this.others]) inspector.close();
  }
}
