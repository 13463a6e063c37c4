import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GenerationsView } from '../../../durable-objects/Generations';
import { GenerationsCache, RegistryUnavailableError, type FetchGenerations } from '../../../durable-objects/generations/cache';

const POLICY = { freshMs: 1_000, timeoutMs: 50, maxStaleMs: 300_000 };
const view = (active: string): GenerationsView => ({ active, shadow: null, retiring: [] });

/** A registry stand-in that counts its calls and answers what the test says. */
function registry(answer: () => Promise<GenerationsView>) {
  const calls = { n: 0 };
  const fetch: FetchGenerations = () => {
    calls.n++;
    return answer();
  };
  return { fetch, calls };
}

const failing = () => Promise.reject(new Error('registry down'));
const hanging = () => new Promise<GenerationsView>(() => undefined);

describe('the generations an isolate knows', () => {
  afterEach(() => vi.restoreAllMocks());

  it('asks the registry at most once per freshness window', async () => {
    const cache = new GenerationsCache(POLICY);
    const { fetch, calls } = registry(async () => view('g1'));
    expect(await cache.get(0, fetch)).toEqual(view('g1'));
    expect(await cache.get(999, fetch)).toEqual(view('g1'));
    expect(calls.n).toBe(1);
    await cache.get(1_001, fetch);
    expect(calls.n).toBe(2);
  });

  it('concurrent readers of a stale copy share one registry call', async () => {
    const cache = new GenerationsCache(POLICY);
    let release!: (v: GenerationsView) => void;
    const { fetch, calls } = registry(() => new Promise((resolve) => (release = resolve)));
    const readers = Array.from({ length: 10 }, () => cache.get(0, fetch));
    release(view('g2'));
    expect(await Promise.all(readers)).toEqual(Array.from({ length: 10 }, () => view('g2')));
    expect(calls.n).toBe(1);
  });

  it('serves the last copy, with a warning, while the registry fails or does not answer; and asks again only after the window', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const cache = new GenerationsCache(POLICY);
    await cache.get(0, async () => view('g3'));

    const down = registry(failing);
    expect(await cache.get(5_000, down.fetch)).toEqual(view('g3'));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain('serving the generations last known');
    // Within the window after a failure the copy is served without asking (a down registry costs one waiting reader per window).
    expect(await cache.get(5_500, down.fetch)).toEqual(view('g3'));
    expect(down.calls.n).toBe(1);

    const slow = registry(hanging);
    const started = Date.now();
    expect(await cache.get(6_001, slow.fetch)).toEqual(view('g3'));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(slow.calls.n).toBe(1);

    // Back: the next refresh takes the new answer.
    expect(await cache.get(7_002, async () => view('g4'))).toEqual(view('g4'));
  });

  it('past the maximal staleness, or with no copy at all, throws RegistryUnavailableError (the reader asks the SKU object)', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const empty = new GenerationsCache(POLICY);
    await expect(empty.get(0, failing)).rejects.toBeInstanceOf(RegistryUnavailableError);

    const old = new GenerationsCache(POLICY);
    await old.get(0, async () => view('g5'));
    expect(await old.get(POLICY.maxStaleMs, failing)).toEqual(view('g5'));
    await expect(old.get(POLICY.maxStaleMs + POLICY.freshMs + 1, failing)).rejects.toBeInstanceOf(RegistryUnavailableError);
  });

  it('a refresh that never settles is given up after the timeout: the next one asks again', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const cache = new GenerationsCache(POLICY);
    await cache.get(0, async () => view('g6'));
    const stuck = registry(hanging);
    await cache.get(2_000, stuck.fetch);
    const answering = registry(async () => view('g7'));
    // After the quiet window, a new call is made even though the stuck one never settled.
    expect(await cache.get(3_001, answering.fetch)).toEqual(view('g7'));
    expect(answering.calls.n).toBe(1);
  });
});
