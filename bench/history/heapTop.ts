import type { Inspector } from '../lib/inspector';

type Snapshot = {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
};

/**
 * A V8 heap snapshot of the inspected isolate, summed by constructor (or, for strings, arrays
 * and code, by V8's node type): what fills a heap that grows. Takes seconds and pauses the
 * isolate meanwhile: a diagnosis, not a per-window figure.
 */
export async function heapTop(inspector: Inspector, top = 25) {
  const chunks: string[] = [];
  let last = Date.now();
  inspector.onEvent((method, params) => {
    if (method === 'HeapProfiler.addHeapSnapshotChunk') {
      chunks.push(params.chunk as string);
      last = Date.now();
    }
  });
  await inspector.send('HeapProfiler.enable');
  // Like collectGarbage, workerd may never answer: the snapshot is done when its chunks stop.
  inspector.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
  while (chunks.length === 0 || Date.now() - last < 3_000) await new Promise((r) => setTimeout(r, 250));
  const snap = JSON.parse(chunks.join('')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const bySize = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt!]!]!;
    const key = type === 'object' || type === 'closure' ? `${type} ${snap.strings[snap.nodes[i + nameAt!]!]}` : `(${type})`;
    const entry = bySize.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + sizeAt!]!;
    bySize.set(key, entry);
  }
  return [...bySize.entries()].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top).map(([name, { count, bytes }]) => ({ name, count, kib: Math.round(bytes / 1024) }));
}
