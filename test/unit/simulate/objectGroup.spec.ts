import { describe, expect, it } from 'vitest';
import { closedLoop } from '../../../simulate/closedLoop';
import type { Answer, Request } from '../../../simulate/protocol';
import { simulateSale } from '../../../simulate/sale';
import { saturation, scenario } from '../../../simulate/scenarios';
import { Sku } from '../../../simulate/sku';
import { World } from '../../../simulate/world';
import { PROFILE, smallSale } from './support';

const inObject = (batchMax: number, depth: number, stock = 1000, shards = 1) => {
  const base = scenario('object group', PROFILE, [{ stock, shards, weight: 1, limitPerCustomer: 2 }], 1);
  return new World({ ...base, network: { rttMinMs: 0, rttMaxMs: 0 }, admission: { ...base.admission, depth }, groupCommit: { ...base.groupCommit, max: batchMax, where: 'object' } });
};

const reserves = (n: number): Request[] => Array.from({ length: n }, (_, i) => ({ kind: 'reserve' as const, key: i, customer: i, qty: 1 }));

/** Delivers `requests` to one shard at the same instant; the time each answer came, in order. */
function burst(w: World, requests: readonly Request[]): { answers: Answer[]; at: number[] } {
  const shard = new Sku(w, w.scenario.skus[0]!).shards[0]!;
  const answers: Answer[] = [];
  const at: number[] = [];
  requests.forEach((r, i) =>
    shard.receive(r, (a) => {
      answers[i] = a;
      at[i] = w.now;
    }),
  );
  w.clock.run(60_000);
  return { answers, at };
}

describe('group commit inside the object', () => {
  it('decides a burst on an idle shard in groups of at most B, each reserve answered as alone', () => {
    const w = inObject(64, Number.POSITIVE_INFINITY);
    const { answers, at } = burst(w, reserves(100));
    expect(answers.map((a) => a.code)).toEqual(Array<string>(100).fill('reserved'));
    // The idle object waits one turn, so the whole burst is there: 64, then the 36 queued behind.
    expect([w.metrics.groups, w.metrics.maxGroup, w.metrics.groupedCommands]).toEqual([2, 64, 100]);
    expect(new Set(at.slice(0, 64)).size).toBe(1);
    expect(new Set(at.slice(64)).size).toBe(1);
    expect(at[99]!).toBeGreaterThan(at[0]!);
    // Two batches' time (a + b·n each), far below 100 commands' 200 ms.
    expect(at[99]!).toBeLessThan(200 / 2);
  });

  it('with B = 1 decides each reserve alone, one command after another', () => {
    const w = inObject(1, Number.POSITIVE_INFINITY);
    const { at } = burst(w, reserves(10));
    expect(w.metrics.groups).toBe(0);
    expect(new Set(at).size).toBe(10);
  });

  it('admits each command as alone: beyond D they are answered 503 at once, the rest decided in one group', () => {
    const w = inObject(64, 5);
    const { answers } = burst(w, reserves(8));
    expect(answers.map((a) => a.code)).toEqual([...Array<string>(5).fill('reserved'), ...Array<string>(3).fill('overloaded')]);
    expect([w.metrics.groups, w.metrics.maxGroup]).toEqual([1, 5]);
  });

  it('groups completes with reserves and never oversells a short shard', () => {
    const w = inObject(64, Number.POSITIVE_INFINITY, 3);
    const shard = new Sku(w, w.scenario.skus[0]!).shards[0]!;
    const first: Answer[] = [];
    reserves(2).forEach((r) => shard.receive(r, (a) => first.push(a)));
    w.clock.run(1000);
    const held = first.map((a) => (a.code === 'reserved' ? a.reservation : null));
    const second: string[] = [];
    held.forEach((reservation, i) => shard.receive({ kind: 'complete', key: 100 + i, reservation: reservation! }, (a) => second.push(a.code)));
    reserves(5).slice(2).forEach((r) => shard.receive(r, (a) => second.push(a.code)));
    w.clock.run(60_000);
    expect(second).toEqual(['completed', 'completed', 'reserved', 'insufficient_stock', 'insufficient_stock']);
    expect(w.metrics.maxGroup).toBe(5);
    expect(shard.sellable).toBe(0);
  });

  it('multiplies one object’s reservations/s under a closed loop, as the lanes did', () => {
    const alone = closedLoop(saturation(PROFILE, 1, 1, 1), 256, 2);
    const s = saturation(PROFILE, 1, 1, 64);
    const grouped = closedLoop({ ...s, groupCommit: { ...s.groupCommit, where: 'object' } }, 2048, 2);
    expect(grouped.meanBatch).toBeGreaterThan(32);
    expect(grouped.rps).toBeGreaterThan(4 * alone.rps);
  });

  it('changes nothing at B = 1, and with B = 64 groups a sale without overselling or stranding', () => {
    const c = { seed: 4, shards: 4, stock: 150, buyers: 500, depth: 16, ttlMs: 3000, completeShare: 0.7, outage: { atMs: 400, durationMs: 2000, location: 1 }, where: 'object' as const };
    const off = simulateSale(smallSale({ ...c, batchMax: 1 }));
    // The same pinned figures as the Worker lanes at B = 1 (groupCommit.spec.ts): no grouping anywhere.
    expect({ accepted: off.accepted, answerP99: off.answerP99, overloaded: off.overloaded, unavailable: off.unavailable, commands: off.commands, events: off.events, transfers: off.transfers }).toEqual({
      accepted: 205, answerP99: 1743.9855174650802, overloaded: 6, unavailable: 52, commands: 1119, events: 7561, transfers: 27,
    });
    const on = simulateSale(smallSale({ ...c, batchMax: 64 }));
    expect(on.meanBatch).toBeGreaterThan(1);
    expect(on.commands).toBeLessThan(off.commands);
    expect(on.oversold + on.stranded).toBe(0);
    expect(on.conserved).toBe(true);
  });
});
