import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { FINISHED_KEPT } from '../../durable-objects/generations/rebuilds';
import type { RebuildReport } from '../../src/contract/rebuildStatus';
import { signed } from '../support/api';

/**
 * One rebuild at a time for the whole group of bridges, and its status kept by the registry
 * (ADR 0006): a second rebuild is refused while the first one's lease is live, whichever bridge
 * asks; any bridge reads the running rebuild's last report and the last finished ones.
 */
const registry = () => env.GENERATIONS.getByName('registry') as unknown as DurableObjectStub;

/** A rebuild's status as a bridge reports it (the registry fills in generation and previous). */
const report = (id: string, patch: Partial<RebuildReport> = {}): RebuildReport => ({
  id,
  from: 'beginning',
  state: 'running',
  phase: 'replaying',
  generation: '',
  previous: '',
  read: 0,
  replayed: 0,
  total: 100,
  snapshotSkus: 0,
  eventsPerSecond: 0,
  etaSeconds: null,
  startedAt: Date.now(),
  finishedAt: null,
  error: null,
  superseded: null,
  failedSkus: [],
  failedSkuCount: 0,
  endpoint: `http://replica-${id}:8798`,
  ...patch,
});

const start = (id: string, leaseSeconds = 60) => signed('POST', '/internal/projections/shadow', { rebuild: id, leaseSeconds, status: report(id) });
const rebuilds = async () => (await signed('GET', '/internal/projections/rebuilds')).json;

/** The bridge running `generation` died: workerd's clock cannot be moved, so the lease's end is written back. */
const leaseRunsOut = (generation: string) =>
  runInDurableObject(registry(), (_: unknown, state) => {
    state.storage.sql.exec('UPDATE shadow_leases SET lease_until = ? WHERE generation = ?', Date.now() - 1, generation);
  });

describe('one rebuild at a time, for the whole group', () => {
  it('a second rebuild is refused while the first one holds the shadow, naming it, its shadow, its lease and its bridge', async () => {
    const first = await start('first');
    expect(first.status).toBe(200);
    const { shadow, active } = first.json;
    const before = Date.now();

    const second = await start('second');
    expect(second.status).toBe(409);
    expect(second.json.error).toMatchObject({
      code: 'rebuild_running',
      details: { rebuild: 'first', generation: shadow, endpoint: 'http://replica-first:8798' },
    });
    const { leaseUntil } = second.json.error.details;
    expect(leaseUntil).toBeGreaterThan(before + 50_000);
    expect(leaseUntil).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(second.json.error.message).toBe(
      `rebuild first (bridge http://replica-first:8798) is running and holds shadow ${shadow} until ${new Date(leaseUntil).toISOString()}: ` +
        'one rebuild at a time; follow it with `inventory projections status`, and start again once it ended (or its lease ran out, if its bridge died)',
    );
    // Nothing changed: the first still holds its shadow, the refused one left no trace.
    expect((await signed('GET', '/internal/projections')).json).toEqual({ active, shadow, retiring: [] });
    expect((await rebuilds()).running).toMatchObject({ id: 'first' });
    expect((await rebuilds()).finished.map((r: { id: string }) => r.id)).not.toContain('second');
    // The first asking again (a retried call) gets its own shadow.
    expect((await start('first')).json).toMatchObject({ shadow, superseded: null });

    expect((await signed('POST', '/internal/projections/switch', { generation: shadow, graceSeconds: 0 })).status).toBe(200);
    // Once it ended, the next one starts.
    const next = await start('second');
    expect(next.status).toBe(200);
    expect(next.json.superseded).toBeNull();
    await signed('POST', '/internal/projections/shadow/abandon', { generation: next.json.shadow });
  });

  it('a shadow whose lease ran out is superseded, and its rebuild recorded as failed for it', async () => {
    const dead = (await start('dies-quietly')).json.shadow;
    await leaseRunsOut(dead);
    const next = await start('takes-over');
    expect(next.status).toBe(200);
    expect(next.json).toMatchObject({ superseded: dead });
    expect(next.json.shadow).not.toBe(dead);

    const { running, finished } = await rebuilds();
    expect(running).toMatchObject({ id: 'takes-over', state: 'running', generation: next.json.shadow, superseded: dead });
    expect(finished[0]).toMatchObject({ id: 'dies-quietly', state: 'failed', generation: dead });
    expect(finished[0].error).toBe(`its lease ran out: the bridge running it stopped renewing it (it died, or lost the edge); shadow ${dead} retired`);
    // The old rebuild's bridge coming back can neither renew nor switch; its own account of the failure is kept.
    expect((await signed('POST', '/internal/projections/shadow/renew', { generation: dead, status: report('dies-quietly', { read: 99 }) })).status).toBe(400);
    const late = await signed('POST', '/internal/projections/shadow/abandon', {
      generation: dead,
      status: report('dies-quietly', { state: 'failed', error: `the rebuild lost its shadow generation ${dead}`, finishedAt: Date.now() }),
    });
    expect(late.json.abandoned).toBe(false);
    expect((await rebuilds()).finished[0]).toMatchObject({ id: 'dies-quietly', state: 'failed', error: `the rebuild lost its shadow generation ${dead}` });
    await signed('POST', '/internal/projections/shadow/abandon', { generation: next.json.shadow });
  });

  it('the alarm retiring an expired shadow records its rebuild as failed', async () => {
    const shadow = (await start('alarmed', 10)).json.shadow;
    await leaseRunsOut(shadow);
    await runInDurableObject(registry(), (_: unknown, state) => state.storage.setAlarm(Date.now() + 60_000));
    expect(await runDurableObjectAlarm(registry())).toBe(true);
    const { running, finished } = await rebuilds();
    expect(running).toBeNull();
    expect(finished[0]).toMatchObject({ id: 'alarmed', state: 'failed', error: expect.stringContaining('its lease ran out') });
  });
});

describe('rebuild status kept by the registry', () => {
  it('the running rebuild as last reported with its renewals, then its result as it switched', async () => {
    const created = (await start('reported')).json;
    let { running } = await rebuilds();
    expect(running).toMatchObject({ id: 'reported', state: 'running', phase: 'replaying', generation: created.shadow, previous: created.active, read: 0, total: 100, endpoint: 'http://replica-reported:8798' });
    const firstLease = running.leaseUntil;
    expect(running.reportedAt).toBeLessThanOrEqual(Date.now());

    await new Promise((r) => setTimeout(r, 20));
    const progress = report('reported', { read: 40, replayed: 38, eventsPerSecond: 400, etaSeconds: 1, phase: 'replaying' });
    expect((await signed('POST', '/internal/projections/shadow/renew', { generation: created.shadow, leaseSeconds: 60, status: progress })).status).toBe(200);
    ({ running } = await rebuilds());
    expect(running).toMatchObject({ id: 'reported', read: 40, replayed: 38, eventsPerSecond: 400, etaSeconds: 1, generation: created.shadow });
    expect(running.leaseUntil).toBeGreaterThan(firstLease);

    const finishedAt = Date.now();
    const result = report('reported', { read: 100, replayed: 97, phase: 'done', state: 'switched', finishedAt });
    expect((await signed('POST', '/internal/projections/switch', { generation: created.shadow, graceSeconds: 0, status: result })).status).toBe(200);
    const after = await rebuilds();
    expect(after.running).toBeNull();
    expect(after.finished[0]).toMatchObject({ id: 'reported', state: 'switched', phase: 'done', read: 100, replayed: 97, finishedAt, error: null, leaseUntil: null });
    // A late renewal (a retry in flight) does not make it run again.
    await signed('POST', '/internal/projections/shadow/renew', { generation: created.shadow, status: progress });
    expect((await rebuilds()).finished[0]).toMatchObject({ id: 'reported', state: 'switched', read: 100 });
  });

  it('a failed rebuild’s own error is kept with the abandon', async () => {
    const { shadow } = (await start('fails')).json;
    const failure = report('fails', { state: 'failed', phase: 'syncing', error: '2 SKU view(s) could not be written', failedSkuCount: 2, finishedAt: Date.now() });
    expect((await signed('POST', '/internal/projections/shadow/abandon', { generation: shadow, status: failure })).json.abandoned).toBe(true);
    expect((await rebuilds()).finished[0]).toMatchObject({ id: 'fails', state: 'failed', phase: 'syncing', generation: shadow, error: '2 SKU view(s) could not be written', failedSkuCount: 2 });
  });

  it('keeps the last few finished rebuilds, newest first (bounded)', async () => {
    const ids = Array.from({ length: FINISHED_KEPT + 2 }, (_, i) => `bounded-${i}`);
    for (const id of ids) {
      const { shadow } = (await start(id)).json;
      await signed('POST', '/internal/projections/switch', { generation: shadow, graceSeconds: 0, status: report(id, { state: 'switched', phase: 'done', finishedAt: Date.now() }) });
      await new Promise((r) => setTimeout(r, 2));
    }
    const { finished } = await rebuilds();
    expect(finished.map((r: { id: string }) => r.id)).toEqual(ids.slice(-FINISHED_KEPT).reverse());
  });

  it('a report larger than the registry keeps is refused', async () => {
    const tooMany = report('too-many', { failedSkus: Array.from({ length: 11 }, (_, i) => ({ sku: `S-${i}`, code: 'internal', message: 'boom', attempts: 1 })) });
    const refused = await signed('POST', '/internal/projections/shadow', { rebuild: 'too-many', status: tooMany });
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('invalid_request');
  });
});
