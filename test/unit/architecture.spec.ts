import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of a file (type-only and re-exports included), as a path from the project's root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(([, spec]) => relative(root, resolve(root, dirname(file), spec!)));
}

const within = (target: string, dir: string) => target === dir || target.startsWith(`${dir}/`);

const importing = (dirs: string[], forbidden: string) =>
  dirs.flatMap(sources).flatMap((file) => importsOf(file).filter((target) => within(target, forbidden)).map((target) => `${file} → ${target}`));

/** Imports of `dirs` that land outside `allowed`. */
const importingOutside = (dirs: string[], allowed: string[]) =>
  dirs.flatMap(sources).flatMap((file) => importsOf(file).filter((target) => !allowed.some((dir) => within(target, dir))).map((target) => `${file} → ${target}`));

/** The file an import names: `x.ts`, `x/index.ts` or `x` itself (a `.mjs` script, say). */
function fileOf(target: string): string {
  const found = [`${target}.ts`, join(target, 'index.ts'), target].find((path) => existsSync(join(root, path)) && statSync(join(root, path)).isFile());
  return found ?? target;
}

type Graph = ReadonlyMap<string, readonly string[]>;

const importGraph = (dirs: string[]): Graph => new Map(dirs.flatMap(sources).map((file) => [file, importsOf(file).map(fileOf)] as const));

/** A graph's circles: its strongly connected components of more than one file, or a file importing itself. */
function circles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  // Tarjan's algorithm, iterative over an explicit frame stack so a deep graph cannot overflow.
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const frames: { file: string; next: number }[] = [];
    const open = (file: string) => {
      index.set(file, index.size);
      low.set(file, index.get(file)!);
      stack.push(file);
      frames.push({ file, next: 0 });
    };
    open(start);
    while (frames.length > 0) {
      const frame = frames.at(-1)!;
      const targets = (graph.get(frame.file) ?? []).filter((t) => graph.has(t));
      if (frame.next < targets.length) {
        const target = targets[frame.next++]!;
        if (!index.has(target)) open(target);
        else if (stack.includes(target)) low.set(frame.file, Math.min(low.get(frame.file)!, index.get(target)!));
        continue;
      }
      frames.pop();
      const parent = frames.at(-1);
      if (parent) low.set(parent.file, Math.min(low.get(parent.file)!, low.get(frame.file)!));
      if (low.get(frame.file) === index.get(frame.file)) {
        const component = stack.splice(stack.indexOf(frame.file));
        if (component.length > 1 || targets.includes(frame.file)) found.push(component.sort());
      }
    }
  }
  return found;
}

describe('the layers import in one direction', () => {
  it('the bridge never imports the Worker (only the contract and the domain)', () => {
    expect(importing(['bridge'], 'src/api')).toEqual([]);
    expect(importing(['bridge'], 'durable-objects')).toEqual([]);
  });

  it('the Durable Objects never import the Worker\'s API layer: no circle between them', () => {
    expect(importing(['durable-objects'], 'src/api')).toEqual([]);
  });

  it('the wire contract and the domain depend on nothing of the edge or the bridge', () => {
    for (const layer of ['src/api', 'durable-objects', 'bridge', 'src/client']) {
      expect(importing(['src/contract', 'src/domain'], layer), layer).toEqual([]);
    }
  });

  it('the domain imports only itself; the contract only itself and the domain (the bridge compiles both, without the Worker\'s types)', () => {
    expect(importingOutside(['src/domain'], ['src/domain'])).toEqual([]);
    expect(importingOutside(['src/contract'], ['src/contract', 'src/domain'])).toEqual([]);
  });

  it('the published client imports only the contract: nothing of the Worker, the objects or the bridge', () => {
    expect(importingOutside(['src/client'], ['src/client', 'src/contract'])).toEqual([]);
  });
});

describe('no import circles', () => {
  it('the check finds every circle, long or short, and only circles', () => {
    const graph = new Map([
      ['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', ['e']], ['e', []],
      ['f', ['f']], ['g', ['h']], ['h', ['g', 'e']], ['i', ['a', 'g']],
    ]);
    expect(circles(graph).sort()).toEqual([['a', 'b', 'c'], ['f'], ['g', 'h']]);
  });

  const graph = importGraph(['src', 'durable-objects', 'bridge', 'simulate', 'torture']);
  it.each(['src', 'durable-objects', 'bridge', 'simulate', 'torture'])('none in %s, nor through it', (dir) => {
    expect(circles(graph).filter((c) => c.some((file) => within(file, dir)))).toEqual([]);
  });
});
