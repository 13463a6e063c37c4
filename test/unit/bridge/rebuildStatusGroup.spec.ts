import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EdgeClient } from '../../../bridge/edge/client';
import { latestRebuild } from '../../../bridge/http/adminProjections';
import { ShadowLease } from '../../../bridge/projections/shadowLease';
import { reportOf, type RebuildReport, type RebuildStatus } from '../../../src/contract/rebuildStatus';

const status = (patch: Partial<RebuildStatus> = {}): RebuildStatus => ({
  id: 'r1',
  from: 'beginning',
  state: 'running',
  phase: 'replaying',
  generation: 'g2',
  previous: 'g1',
  read: 10,
  replayed: 10,
  total: 100,
  snapshotSkus: 0,
  eventsPerSecond: 5,
  etaSeconds: 18,
  startedAt: 1_000,
  finishedAt: null,
  error: null,
  superseded: null,
  failedSkus: [],
  failedSkuCount: 0,
  endpoint: 'http://a:8798',
  leaseUntil: null,
  reportedAt: null,
  ...patch,
});

describe('what a replica shows of the group’s rebuild (ADR 0006)', () => {
  const reported = status({ read: 10, leaseUntil: 9_000, reportedAt: 2_000 });

  it('the registry’s running rebuild, else its last finished one, else none', () => {
    const older = status({ id: 'r0', state: 'switched', phase: 'done', finishedAt: 500 });
    expect(latestRebuild({ running: reported, finished: [older] }, null)).toBe(reported);
    expect(latestRebuild({ running: null, finished: [older] }, null)).toBe(older);
    expect(latestRebuild({ running: null, finished: [] }, null)).toBeNull();
  });

  it('the replica running it shows its own fresher progress of that same rebuild, with the registry’s lease', () => {
    const local = status({ read: 80 });
    expect(latestRebuild({ running: reported, finished: [] }, local)).toEqual({ ...local, leaseUntil: 9_000, reportedAt: 2_000 });
    // Another replica's rebuild: the registry's, whatever this replica ran before.
    expect(latestRebuild({ running: reported, finished: [] }, status({ id: 'mine-before', state: 'switched' }))).toBe(reported);
  });

  it('a rebuild the registry ended is not shown running by a replica that did not hear of it yet', () => {
    const expired = status({ state: 'failed', error: 'its lease ran out', finishedAt: 5_000 });
    expect(latestRebuild({ running: null, finished: [expired] }, status({ read: 90 }))).toBe(expired);
    // Its own account of how it ended is kept once it has one.
    const own = status({ state: 'failed', error: 'the rebuild lost its shadow generation g2', finishedAt: 5_100 });
    expect(latestRebuild({ running: null, finished: [expired] }, own)).toMatchObject({ error: own.error });
  });
});

describe('the shadow lease carries the progress', () => {
  afterEach(() => vi.useRealTimers());

  it('each renewal, every quarter lease, reports the rebuild’s status as it is then, trimmed to what the registry keeps', async () => {
    vi.useFakeTimers();
    const renewals: (RebuildReport | undefined)[] = [];
    const edge = { renewShadow: async (_g: string, _s: number, report?: RebuildReport) => void renewals.push(report) } as unknown as EdgeClient;
    const current = status({ failedSkus: Array.from({ length: 30 }, (_, i) => ({ sku: `S-${i}`, code: 'internal', message: 'x'.repeat(500), attempts: 2 })), failedSkuCount: 30 });
    const lease = new ShadowLease(edge, 'g2', 20, pino({ level: 'silent' }), () => undefined, () => reportOf(current));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(renewals).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    current.read = 60;
    await vi.advanceTimersByTimeAsync(5_000);
    lease.stop();
    expect(renewals.map((r) => r?.read)).toEqual([10, 60]);
    expect(renewals[1]).toMatchObject({ id: 'r1', failedSkuCount: 30, endpoint: 'http://a:8798' });
    expect(renewals[1]!.failedSkus).toHaveLength(10);
    expect(renewals[1]!.failedSkus![0]!.message).toHaveLength(300);
    expect(renewals[1]).not.toHaveProperty('leaseUntil');
  });
});
