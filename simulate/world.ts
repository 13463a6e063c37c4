import { Clock } from './clock';
import { Metrics } from './metrics';
import type { Scenario } from './params';
import { Random } from '../bench/lib/random';
import { batchFactor, sampleService } from './serviceTime';

/** The clock, the random stream, the metrics and the scenario one run shares. */
export class World {
  readonly clock = new Clock();
  readonly random: Random;
  readonly metrics = new Metrics();
  private nextId = 1;

  constructor(readonly scenario: Scenario) {
    this.random = new Random(scenario.seed);
  }

  get now(): number {
    return this.clock.now;
  }

  /** One network leg (half a round trip); between two regions (when modelled) half their round trip more. */
  oneWayMs(from?: number, to?: number): number {
    const { rttMinMs, rttMaxMs } = this.scenario.network;
    const leg = this.random.uniform(rttMinMs, rttMaxMs) / 2;
    const regions = this.scenario.regions;
    if (!regions || from === undefined || to === undefined || from === to) return leg;
    return leg + regions.rttMs[from]![to]! / 2;
  }

  /** The service time of `commands` back-to-back commands on one object. */
  serviceMs(commands = 1): number {
    let total = 0;
    for (let i = 0; i < commands; i++) total += sampleService(this.scenario.profile.command, this.random);
    return total;
  }

  /** One object call deciding a group-commit batch of `reserves`: one command's draw, scaled by the batch's measured cost. */
  batchServiceMs(reserves: number): number {
    const { command, batch } = this.scenario.profile;
    return sampleService(command, this.random) * batchFactor(batch, reserves);
  }

  /**
   * The command that takes units in and decides `parked` waiting buyers: one command each, or
   * (borrowing.settle 'batch') one group-commit batch of them.
   */
  settleMs(parked: number): number {
    return this.scenario.borrowing.settle === 'batch' ? this.batchServiceMs(1 + parked) : this.serviceMs(1 + parked);
  }

  id(): number {
    return this.nextId++;
  }
}
