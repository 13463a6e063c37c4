import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../../bridge/ingest/replayGuard';

// Signature ids are hex HMACs; the guard keeps their first 52 bits, in 30 s expiry buckets.
const sig = (n: number) => n.toString(16).padStart(4, '0').padEnd(64, 'f');

describe('replay guard', () => {
  it('accepts an id once until its expiry bucket has passed, then forgets it', () => {
    const guard = new ReplayGuard();
    expect(guard.accept(sig(1), 1_000, 0)).toBe('accepted');
    expect(guard.accept(sig(1), 1_000, 500)).toBe('replayed');
    expect(guard.accept(sig(2), 2_000, 600)).toBe('accepted');
    expect(guard.size).toBe(2);
    // Both expire in the bucket ending at 30 s: kept until then, forgotten together after.
    expect(guard.accept(sig(1), 40_000, 29_999)).toBe('replayed');
    expect(guard.accept(sig(3), 40_000, 30_000)).toBe('accepted');
    expect(guard.size).toBe(1);
    expect(guard.accept(sig(1), 60_000, 30_000)).toBe('accepted');
  });

  it('refuses as full, not by forgetting early, past its bound; room comes back when a bucket passes', () => {
    const guard = new ReplayGuard(2);
    expect(guard.accept(sig(1), 10_000, 0)).toBe('accepted');
    expect(guard.accept(sig(2), 50_000, 0)).toBe('accepted');
    expect(guard.accept(sig(3), 50_000, 0)).toBe('full');
    expect(guard.accept(sig(1), 10_000, 0)).toBe('replayed');
    expect(guard.retryAfterSeconds(0)).toBe(30);
    expect(guard.accept(sig(3), 50_000, 30_000)).toBe('accepted');
  });
});
