import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, isExternal, linksOf, slug } from '../../support/markdownLinks';

const root = resolve(import.meta.dirname, '..', '..', '..');

/** The documentation a reader follows: the README, docs/ and the READMEs beside the code. */
function documents(): string[] {
  const docs = (dir: string): string[] =>
    readdirSync(join(root, dir)).flatMap((name) => {
      const path = join(dir, name);
      return statSync(join(root, path)).isDirectory() ? docs(path) : path.endsWith('.md') ? [path] : [];
    });
  const besideCode = ['bridge/README.md', 'bridge/wms/README.md', 'simulate/README.md'].filter((f) => existsSync(join(root, f)));
  return ['README.md', ...docs('docs'), ...besideCode];
}

/** What is wrong with each relative link of a document: empty when every one resolves inside the repository. */
function brokenLinks(file: string, read: (path: string) => string = (path) => readFileSync(join(root, path), 'utf8')): string[] {
  return linksOf(read(file)).flatMap(({ target, line }) => {
    if (isExternal(target)) return [];
    const at = `${file}:${line} → ${target}`;
    const [pathPart = '', anchor] = target.split('#', 2);
    const path = decodeURIComponent(pathPart);
    const resolved = path === '' ? join(root, file) : path.startsWith('/') ? join(root, path) : resolve(root, dirname(file), path);
    const inRepo = relative(root, resolved);
    if (inRepo.startsWith(`..${sep}`) || inRepo === '..') return [`${at}: outside the repository`];
    if (path !== '' && !existsSync(resolved)) return [`${at}: no such file`];
    if (anchor === undefined || anchor === '' || !resolved.endsWith('.md')) return [];
    return anchorsOf(read(inRepo)).has(anchor) ? [] : [`${at}: no heading with that anchor`];
  });
}

describe('the documentation links', () => {
  it.each(documents())('every relative link of %s resolves to a file (and heading) inside the repository', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it('the design is in the repository: no document points at the brief outside it', () => {
    const outside = documents().filter((file) => /\.\.\/shared\/|DESIGN\.md/.test(readFileSync(join(root, file), 'utf8')));
    expect(outside).toEqual([]);
  });
});

describe('the link check itself', () => {
  const page = (text: string) => (path: string) => (path === 'docs/page.md' ? text : readFileSync(join(root, path), 'utf8'));

  it('reports a missing file, a link out of the repository and an unknown anchor, with their lines', () => {
    const text = ['# Page', '', 'See [gone](missing.md), [brief](../../shared/DESIGN.md)', 'and [arch](architecture.md#no-such-heading).'].join('\n');
    expect(brokenLinks('docs/page.md', page(text))).toEqual([
      'docs/page.md:3 → missing.md: no such file',
      'docs/page.md:3 → ../../shared/DESIGN.md: outside the repository',
      'docs/page.md:4 → architecture.md#no-such-heading: no heading with that anchor',
    ]);
  });

  it('accepts files, folders, headings of this page and of others, and ignores URLs and code', () => {
    const text = [
      '# Page',
      '## Two `words` here',
      '[a](architecture.md#never-oversell) [b](adr/) [c](#two-words-here) [d](https://example.com/x.md)',
      '`[e](nowhere.md)`',
      '```',
      '[f](nowhere.md)',
      '```',
    ].join('\n');
    expect(brokenLinks('docs/page.md', page(text))).toEqual([]);
  });

  it('slugs headings as GitHub does', () => {
    expect(slug('Overload at 1,000 connections')).toBe('overload-at-1000-connections');
    expect(slug('Sharding and borrowing (hot SKUs)')).toBe('sharding-and-borrowing-hot-skus');
    expect(slug('The admin CLI (`inventory`)')).toBe('the-admin-cli-inventory');
    expect([...anchorsOf('# A\n## A\n### A')]).toEqual(['a', 'a-1', 'a-2']);
  });
});
