import { describe, expect, it } from 'vitest';
import { fitMedianP99, withMean } from '../../../simulate/lognormal';
import type { ServiceProfile } from '../../../simulate/params';
import { scenario } from '../../../simulate/scenarios';
import { lognormalService, serviceMean, type ServiceTime } from '../../../simulate/serviceTime';
import { Sku } from '../../../simulate/sku';
import { callObject } from '../../../simulate/worker';
import { World } from '../../../simulate/world';

const ARRIVALS = 200_000;

/** Poisson arrivals at one object (no network, no admission limit, no expiries): the mean time in the system. */
function meanSojourn(command: ServiceTime, arrivalsPerMs: number): number {
  const profile: ServiceProfile = { name: 'queueing', command, batch: { aMs: 1, bMs: 0 }, expiryMs: 0, source: 'test' };
  const base = scenario('queueing', profile, [{ stock: 1e12, shards: 1, weight: 1, limitPerCustomer: Number.POSITIVE_INFINITY }], 42);
  const s = {
    ...base,
    network: { rttMinMs: 0, rttMaxMs: 0 },
    admission: { ...base.admission, depth: Number.POSITIVE_INFINITY },
    holds: { ...base.holds, ttlMs: 1e15 },
    readModel: { ...base.readModel, flushEveryMs: 1e15 },
  };
  const world = new World(s);
  const shard = new Sku(world, s.skus[0]!).shards[0]!;
  let total = 0;
  let answered = 0;
  let t = 0;
  for (let i = 0; i < ARRIVALS; i++) {
    t += world.random.exponential(1 / arrivalsPerMs);
    const sentAt = t;
    world.clock.at(t, () =>
      callObject(world, shard, { kind: 'reserve', key: i, customer: i, qty: 1 }, () => {
        total += world.now - sentAt;
        answered++;
      }),
    );
  }
  world.clock.run(t);
  world.clock.run(1e14);
  expect(answered).toBe(ARRIVALS);
  return total / answered;
}

describe('one object as a queue', () => {
  it('M/M/1: mean time in system matches 1/(μ − λ)', () => {
    const service: ServiceTime = { shape: 'exponential', mean: 2 };
    const lambda = 0.35; // per ms: ρ = 0.7
    const analytic = 1 / (1 / 2 - lambda);
    expect(Math.abs(meanSojourn(service, lambda) / analytic - 1)).toBeLessThan(0.05);
  }, 30_000);

  it('M/G/1 with the calibrated lognormal: matches Pollaczek–Khinchine', () => {
    const shape = withMean(fitMedianP99(1, 5), 2);
    const service = lognormalService(shape);
    const lambda = 0.35;
    const mean = serviceMean(service);
    const secondMoment = Math.exp(2 * shape.mu + 2 * shape.sigma ** 2);
    const rho = lambda * mean;
    const analytic = mean + (lambda * secondMoment) / (2 * (1 - rho));
    expect(Math.abs(meanSojourn(service, lambda) / analytic - 1)).toBeLessThan(0.05);
  }, 30_000);
});
