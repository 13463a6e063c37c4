import type { Inspector } from '../lib/inspector';

type Snapshot = {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
};

/**
 * A V8 heap snapshot of the inspected isolate: V8 collects garbage first, so it holds only what is
 * reachable. Pauses the isolate while it is taken (about a second for a heap of a few MB).
 */
export async function takeSnapshot(inspector: Inspector): Promise<Snapshot> {
  const chunks: string[] = [];
  let last = Date.now();
  const stop = inspector.onEvent((method, params) => {
    if (method !== 'HeapProfiler.addHeapSnapshotChunk') return;
    chunks.push(params.chunk as string);
    last = Date.now();
  });
  try {
    await inspector.send('HeapProfiler.enable');
    // workerd may never answer (as with collectGarbage): the snapshot is whole once its chunks
    // pause and what came parses.
    inspector.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (chunks.length === 0 || Date.now() - last < 300) continue;
      try {
        return JSON.parse(chunks.join('')) as Snapshot;
      } catch {
        last = Date.now();
      }
    }
  } finally {
    stop();
  }
}

/** Self sizes summed by constructor (or, for strings, arrays and code, by V8's node type). */
export function bySize(snap: Snapshot): Map<string, { count: number; bytes: number }> {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const sizes = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt!]!]!;
    const key = type === 'object' || type === 'closure' ? `${type} ${snap.strings[snap.nodes[i + nameAt!]!]}` : `(${type})`;
    const entry = sizes.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + sizeAt!]!;
    sizes.set(key, entry);
  }
  return sizes;
}

export const reachableBytes = (snap: Snapshot): number => [...bySize(snap).values()].reduce((sum, e) => sum + e.bytes, 0);

/** What fills a heap that grows: the largest constructors of a snapshot. A diagnosis, not a per-window figure. */
export async function heapTop(inspector: Inspector, top = 25) {
  return [...bySize(await takeSnapshot(inspector)).entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, top)
    .map(([name, { count, bytes }]) => ({ name, count, kib: Math.round(bytes / 1024) }));
}
