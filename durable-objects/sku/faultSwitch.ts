/**
 * A shard made unreachable on purpose, for the regional drill (issue 25, `npm run drill:region`):
 * while set, the calls that buyers and siblings make fail as a lost region's would — at once
 * (`unreachable`, the runtime's error) or after hanging until the fault is lifted (`hang`, a
 * partition that times callers out). Only where the configuration allows fault injection
 * (local and test; `npm run deploy:check` refuses it in staging and production).
 */
import { regionOfShard, shardOf, type ShardRegion, type SkuState } from '../../src/domain/sku';

export const FAULT_MODES = ['none', 'unreachable', 'hang'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];
/** What a shard answers the switch: its layout (so the edge finds the others), where it lives, its fault now. */
export type FaultAnswer = { shards: number; region: ShardRegion | null; mode: FaultMode };

export class RegionUnreachableError extends Error {
  constructor() {
    super('shard unreachable: its region is down (fault injection)');
    this.name = 'RegionUnreachableError';
  }
}

export class FaultSwitch {
  #mode: FaultMode = 'none';
  #lifted: (() => void) | null = null;
  #liftedAt: Promise<void> | null = null;

  get mode(): FaultMode {
    return this.#mode;
  }

  set(mode: FaultMode): void {
    this.#mode = mode;
    if (mode !== 'hang') {
      this.#lifted?.();
      this.#lifted = null;
      this.#liftedAt = null;
    }
  }

  /** Throws while unreachable; while hanging, waits until the fault changes, then throws. */
  async pass(): Promise<void> {
    if (this.#mode === 'none') return;
    if (this.#mode === 'hang') {
      this.#liftedAt ??= new Promise<void>((resolve) => (this.#lifted = resolve));
      await this.#liftedAt;
    }
    throw new RegionUnreachableError();
  }

  /** Faulted with `mode` if this shard lives in one of `regionsDown`, else healed. */
  apply(state: SkuState, regionsDown: readonly ShardRegion[], mode: Exclude<FaultMode, 'none'>): FaultAnswer {
    const region = state.sku !== null && state.shardRegions ? regionOfShard(state.shardRegions, shardOf(state.sku)) : null;
    this.set(region !== null && regionsDown.includes(region) ? mode : 'none');
    return { shards: state.shards, region, mode: this.#mode };
  }

  /** The synchronous reads: unreachable either way. */
  check(): void {
    if (this.#mode !== 'none') throw new RegionUnreachableError();
  }
}
