import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../../bridge/ingest/replayGuard';

describe('replay guard', () => {
  it('accepts an id once until it expires, and forgets expired ids', () => {
    const guard = new ReplayGuard();
    expect(guard.accept('a', 1_000, 0)).toBe(true);
    expect(guard.accept('a', 1_000, 500)).toBe(false);
    expect(guard.accept('b', 2_000, 600)).toBe(true);
    expect(guard.size).toBe(2);
    expect(guard.accept('c', 3_000, 1_000)).toBe(true);
    expect(guard.size).toBe(2);
    expect(guard.accept('a', 4_000, 1_000)).toBe(true);
  });
});
