import { readdirSync, readFileSync, statSync } from 'node:fs';
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

describe('the layers import in one direction', () => {
  it('the bridge never imports the Worker (only the contract and the domain)', () => {
    expect(importing(['bridge'], 'src/api')).toEqual([]);
    expect(importing(['bridge'], 'durable-objects')).toEqual([]);
  });

  it('the Durable Objects never import the Worker\'s API layer: no circle between them', () => {
    expect(importing(['durable-objects'], 'src/api')).toEqual([]);
  });

  it('the wire contract and the domain depend on nothing of the edge or the bridge', () => {
    for (const layer of ['src/api', 'durable-objects', 'bridge', 'src/client', 'src/env.ts', 'src/config']) {
      expect(importing(['src/contract', 'src/domain'], layer), layer).toEqual([]);
    }
  });

  it('the contract is neutral: it imports only itself and the domain (the bridge compiles it too)', () => {
    expect(importingOutside(['src/contract'], ['src/contract', 'src/domain'])).toEqual([]);
  });

  it('the published client imports only the contract: nothing of the Worker, the objects or the bridge', () => {
    expect(importingOutside(['src/client'], ['src/client', 'src/contract'])).toEqual([]);
  });
});
