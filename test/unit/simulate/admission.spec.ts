import { describe, expect, it } from 'vitest';
import type { Answer } from '../../../simulate/protocol';
import { simulateSale } from '../../../simulate/sale';
import { scenario } from '../../../simulate/scenarios';
import { Sku } from '../../../simulate/sku';
import { callObject } from '../../../simulate/worker';
import { World } from '../../../simulate/world';
import { PROFILE, smallSale } from './support';

describe('admission control', () => {
  it('admits D requests into one object and answers every request beyond them 503 at once', () => {
    const depth = 5;
    const base = scenario('admission', PROFILE, [{ stock: 1000, shards: 1, weight: 1, limitPerCustomer: 2 }], 1);
    const world = new World({ ...base, network: { rttMinMs: 0, rttMaxMs: 0 }, admission: { ...base.admission, depth } });
    const shard = new Sku(world, world.scenario.skus[0]!).shards[0]!;
    const answers: { answer: Answer; at: number }[] = [];
    for (let i = 0; i < 50; i++) callObject(world, shard, { kind: 'reserve', key: i, customer: i, qty: 1 }, (answer) => answers.push({ answer, at: world.now }));
    world.clock.run(60_000);
    const shed = answers.filter((a) => a.answer.code === 'overloaded');
    expect(answers).toHaveLength(50);
    expect(answers.filter((a) => a.answer.code === 'reserved')).toHaveLength(depth);
    expect(shed).toHaveLength(50 - depth);
    expect(shed.every((a) => a.at === 0)).toBe(true);
  });

  it('never lets a buyer request in beyond D, whatever the sibling traffic', () => {
    for (const depth of [4, 16]) {
      const result = simulateSale(smallSale({ seed: 5, shards: 4, stock: 200, buyers: 600, depth, ttlMs: 5000, completeShare: 0.5, outage: null }));
      expect(result.maxDepth).toBeLessThanOrEqual(depth);
      expect(result.overloaded).toBeGreaterThan(0);
    }
  });

  it('without a limit the queue grows until buyers time out: the unexplained failures admission control prevents', () => {
    const limited = simulateSale(smallSale({ seed: 9, shards: 1, stock: 100, buyers: 600, depth: 16, ttlMs: 60_000, completeShare: 1, outage: null }));
    const unlimited = simulateSale({ ...smallSale({ seed: 9, shards: 1, stock: 100, buyers: 600, depth: Number.POSITIVE_INFINITY, ttlMs: 60_000, completeShare: 1, outage: null }), profile: { ...PROFILE, command: { shape: 'exponential', mean: 40 } } });
    expect(limited.timedOut).toBe(0);
    expect(unlimited.timedOut).toBeGreaterThan(0);
  });
});
