import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EdgeAnswerError, type EdgeClient, type Generations } from '../../bridge/edge/client';
import { EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { RebuildRunningError, startRebuild, type RebuildTiming } from '../../bridge/projections/rebuild';
import type { RebuildReport } from '../../src/contract/rebuildStatus';
import type { ProjectionBatch, ProjectionOutcome } from '../../src/contract/schemas';
import type { SkuEvent } from '../../src/domain/sku';
import { embeddedLogForFile } from './support/embeddedLog';

/**
 * The rebuild's handling of SKUs whose views fail, against an edge that answers per SKU as the
 * real one does (the real route is tested in workerd: test/workers/internalProjections.spec.ts).
 */
const log = embeddedLogForFile('rebuild-');
const logger = pino({ level: 'silent' });
const FAST: Partial<RebuildTiming> = { registrySettleMs: 0, kvSecondMs: 20, retryBaseMs: 10, retryMaxMs: 40, skuAttempts: 4, leaseSeconds: 10 };

const at = '2026-11-25T10:00:00.000Z';
const stockSet = (sku: string): SkuEvent => ({ type: 'StockSet', sku, version: 1, at, causedBy: {}, data: { onHand: 5, limitPerCustomer: null } });

let run = 0;
async function skusInLog<N extends string[]>(...names: N): Promise<{ [K in keyof N]: string }> {
  const skus = names.map((name) => `${name}-${run}`);
  run++;
  await log.append(EVENTS_TOPIC, skus.map((sku) => ({ key: sku, value: JSON.stringify(stockSet(sku)) })));
  return skus as { [K in keyof N]: string };
}

type Answer = (sku: string, attempt: number) => Omit<ProjectionOutcome, 'sku'> | 'throw';

/** An edge whose SKU objects answer as `answer` says; it records every call. */
function edgeThat(answer: Answer, batchFailure: (call: number) => Error | null = () => null) {
  const attempts = new Map<string, number>();
  const calls = { switched: [] as string[], abandoned: [] as string[], batches: 0, reports: [] as { call: string; status?: RebuildReport }[] };
  let generations: Generations = { active: 'g1', shadow: null, retiring: [] };
  const edge: Partial<EdgeClient> = {
    generations: async () => generations,
    createShadow: async (_rebuild, _lease, status) => {
      calls.reports.push({ call: 'create', status });
      generations = { ...generations, shadow: 'g2' };
      return { ...generations, superseded: null };
    },
    renewShadow: async (_generation, _lease, status) => {
      calls.reports.push({ call: 'renew', status });
      return generations;
    },
    abandonShadow: async (generation, status) => {
      calls.reports.push({ call: 'abandon', status });
      calls.abandoned.push(generation);
      const abandoned = generations.shadow === generation;
      if (abandoned) generations = { ...generations, shadow: null };
      return { ...generations, abandoned };
    },
    switchToShadow: async (_grace, generation, status) => {
      calls.reports.push({ call: 'switch', status });
      calls.switched.push(generation);
      generations = { active: generation, shadow: null, retiring: [] };
      return generations;
    },
    writeViews: async ({ views }: ProjectionBatch) => {
      const failure = batchFailure(++calls.batches);
      if (failure) throw failure;
      const outcomes = views.map(({ sku }): ProjectionOutcome => {
        const attempt = (attempts.get(sku) ?? 0) + 1;
        attempts.set(sku, attempt);
        const outcome = answer(sku, attempt);
        return outcome === 'throw' ? { sku, result: 'failed', code: 'internal', message: 'boom' } : ({ sku, ...outcome } as ProjectionOutcome);
      });
      const count = (r: string) => outcomes.filter((o) => o.result === r).length;
      return { written: count('written'), stale: count('stale'), deferred: count('deferred'), failed: count('failed'), outcomes };
    },
  };
  return { edge: edge as EdgeClient, attempts, calls };
}

const written = { result: 'written' } as const;
const overloaded = { result: 'failed', code: 'overloaded', message: 'the object is overloaded' } as const;

describe('rebuild: per-SKU outcomes, retries and giving the shadow up', () => {
  it('a SKU whose object fails is retried alone, with backoff, and the rebuild switches once it succeeds', async () => {
    const [a, b, flaky] = await skusInLog('A', 'B', 'FLAKY');
    const { edge, attempts, calls } = edgeThat((sku, attempt) => (sku === flaky && attempt <= 2 ? overloaded : written));
    const { status, done } = await startRebuild({ log, edge, logger, from: 'beginning', graceSeconds: 1, timing: FAST });
    await done;
    expect(status).toMatchObject({ state: 'switched', failedSkus: [], failedSkuCount: 0, error: null });
    expect(calls.switched).toEqual(['g2']);
    expect(attempts.get(flaky)).toBe(3);
    // The others were not sent again for FLAKY's sake (once while replaying, once in the sync).
    expect(attempts.get(a)).toBeLessThanOrEqual(2);
    expect(attempts.get(b)).toBe(attempts.get(a));
  });

  it('SKUs that still fail after the retries fail the rebuild, named with their codes, and the shadow is abandoned', async () => {
    const [ok, broken, gone] = await skusInLog('OK', 'BROKEN', 'GONE');
    const { edge, attempts, calls } = edgeThat((sku) =>
      sku === broken ? 'throw' : sku === gone ? { result: 'failed', code: 'sku_not_found', message: 'no such SKU' } : written,
    );
    const { status, done } = await startRebuild({ log, edge, logger, from: 'beginning', graceSeconds: 1, timing: FAST });
    await done;
    expect(status.state).toBe('failed');
    expect(status.phase).toBe('syncing');
    expect(status.failedSkuCount).toBe(2);
    expect(status.failedSkus).toEqual(
      expect.arrayContaining([
        { sku: broken, code: 'internal', message: 'boom', attempts: 4 },
        { sku: gone, code: 'sku_not_found', message: 'no such SKU', attempts: 1 },
      ]),
    );
    expect(status.error).toContain('2 SKU view(s) could not be written');
    expect(status.error).toContain(`${broken} (internal: boom)`);
    expect(status.error).toContain(`${gone} (sku_not_found: no such SKU)`);
    expect(status.error).toContain('shadow g2 abandoned');
    expect(calls.switched).toEqual([]);
    expect(calls.abandoned).toEqual(['g2']);
    // A failure another attempt cannot change is not retried; a transient one is, a bounded number of times.
    const syncAttempts = (sku: string) => attempts.get(sku)! - (attempts.get(ok)! - 1);
    expect(syncAttempts(gone)).toBe(1);
    expect(syncAttempts(broken)).toBe(4);
  });

  it('a batch the edge could not answer fails its SKUs, which are retried; a refusal of the whole batch ends the rebuild', async () => {
    await skusInLog('NET-1', 'NET-2');
    const flaky = edgeThat(() => written, (call) => (call <= 2 ? new Error('fetch failed: ECONNRESET') : null));
    const first = await startRebuild({ log, edge: flaky.edge, logger, from: 'beginning', graceSeconds: 1, timing: FAST });
    await first.done;
    expect(first.status).toMatchObject({ state: 'switched', failedSkuCount: 0 });

    const superseded = new EdgeAnswerError('edge answered 400 to POST /internal/projections/views: g2 is not the shadow generation', 400, 'invalid_command');
    const refusing = edgeThat(() => written, () => superseded);
    const second = await startRebuild({ log, edge: refusing.edge, logger, from: 'beginning', graceSeconds: 1, timing: FAST });
    await second.done;
    expect(second.status.state).toBe('failed');
    expect(second.status.error).toContain('g2 is not the shadow generation');
    expect(refusing.calls.batches).toBe(1);
    expect(refusing.calls.abandoned).toEqual(['g2']);
  });
});

describe('rebuild: one at a time for the group, its status kept by the registry (ADR 0006)', () => {
  it('reports its status when it takes the shadow and its result with the switch, naming the replica running it', async () => {
    await skusInLog('REP-1', 'REP-2');
    const { edge, calls } = edgeThat(() => written);
    const { status, done } = await startRebuild({ log, edge, logger, from: 'beginning', graceSeconds: 1, endpoint: 'http://10.0.0.7:8798', timing: FAST });
    // Answered once the registry leased it the shadow.
    expect(status).toMatchObject({ state: 'running', generation: 'g2', previous: 'g1', endpoint: 'http://10.0.0.7:8798' });
    await done;
    const [created, ...rest] = calls.reports;
    expect(created).toMatchObject({ call: 'create', status: { id: status.id, state: 'running', phase: 'replaying', endpoint: 'http://10.0.0.7:8798' } });
    const switched = rest.find((r) => r.call === 'switch')!;
    expect(switched.status).toMatchObject({ id: status.id, state: 'switched', phase: 'done', read: status.read, endpoint: 'http://10.0.0.7:8798' });
    expect(switched.status!.finishedAt).toBe(status.finishedAt);
    expect(status).toMatchObject({ state: 'switched', phase: 'done' });
  });

  it('a failed rebuild reports its error with the abandon, trimmed to what the registry keeps', async () => {
    const skus = await skusInLog(...Array.from({ length: 15 }, (_, i) => `BAD-${i}`));
    const { edge, calls } = edgeThat(() => ({ result: 'failed', code: 'sku_not_found', message: 'no such SKU' }));
    const { status, done } = await startRebuild({ log, edge, logger, from: 'beginning', graceSeconds: 1, timing: FAST });
    await done;
    expect(status.failedSkuCount).toBeGreaterThanOrEqual(skus.length);
    const abandoned = calls.reports.find((r) => r.call === 'abandon')!;
    expect(abandoned.status).toMatchObject({ id: status.id, state: 'failed', failedSkuCount: status.failedSkuCount });
    expect(abandoned.status!.failedSkus).toHaveLength(10);
    expect(status.error).toContain(abandoned.status!.error!.slice(0, 200));
  });

  it('refused by the registry while another rebuild holds the shadow: nothing starts, and the running one is named', async () => {
    const { edge, calls } = edgeThat(() => written);
    const running = { rebuild: 'other-rebuild', generation: 'g5', leaseUntil: Date.parse('2026-12-07T10:00:00Z'), endpoint: 'http://10.0.0.8:8798' };
    edge.createShadow = async () => {
      throw new EdgeAnswerError('edge answered 409 to POST /internal/projections/shadow', 409, 'rebuild_running', running);
    };
    const refused = await startRebuild({ log, edge, logger, from: 'beginning', graceSeconds: 1, timing: FAST }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RebuildRunningError);
    expect((refused as RebuildRunningError).running).toEqual(running);
    expect((refused as Error).message).toBe('rebuild other-rebuild (bridge http://10.0.0.8:8798) is running and holds shadow g5 until 2026-12-07T10:00:00.000Z: one rebuild at a time for the bridge group');
    expect(calls.batches).toBe(0);
    expect(calls.abandoned).toEqual([]);
  });
});
