import { inspect, inspectorTargets, isUserTarget, type Inspector } from '../lib/inspector';
import { round } from '../relay/figures';

export type HeapReading = {
  /** V8 heap live after a full GC: what the Worker and its objects retain (Cloudflare allows 128 MB per isolate). */
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
 * V8 inspector: a full GC, then `Runtime.getHeapUsage`, so a window shows what is retained, not
 * garbage not yet collected. Costs one GC pause per reading (a few ms on a heap of a few MB).
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

  async read(): Promise<HeapReading> {
    const [usage, ...others] = await Promise.all([this.user, ...this.others].map(liveHeap));
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

function liveHeap(inspector: Inspector): Promise<HeapUsage> {
  // workerd collects but never answers HeapProfiler.collectGarbage (seen with the pinned
  // workerd); the inspector handles messages in order, so the next answer comes after the GC.
  inspector.post('HeapProfiler.collectGarbage');
  return inspector.send<HeapUsage>('Runtime.getHeapUsage');
}
