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

/** Every relative import of a file, as a path from the project's root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(([, spec]) => relative(root, resolve(root, dirname(file), spec!)));
}

const importing = (dirs: string[], forbidden: string) =>
  dirs.flatMap(sources).flatMap((file) => importsOf(file).filter((target) => target === forbidden || target.startsWith(`${forbidden}/`)).map((target) => `${file} → ${target}`));

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
});
