import type { ShardState } from './shardState';
import type { World } from './world';

/**
 * A shard's breakers on its siblings: a sibling whose call failed is held dead for a while
 * (`failure.suspectMs`) and skipped by walks. Memory: lost when the shard fails.
 */
export class SiblingBreakers {
  /** Until when each sibling is held dead. */
  private readonly suspects = new Map<ShardState, number>();

  constructor(private readonly world: World) {}

  isSuspect(sibling: ShardState): boolean {
    const until = this.suspects.get(sibling);
    if (until === undefined) return false;
    if (until > this.world.now) return true;
    // Failover: a background probe (not charged to buyers) keeps a dead sibling's breaker open.
    const failover = this.world.scenario.failover;
    if (!failover || sibling.alive) return false;
    this.suspects.set(sibling, this.world.now + failover.probeEveryMs);
    return true;
  }

  trust(sibling: ShardState): void {
    this.suspects.delete(sibling);
  }

  suspect(sibling: ShardState): void {
    this.suspects.set(sibling, this.world.now + this.world.scenario.failure.suspectMs);
  }

  /** Some siblings may hold units, and every one of them failed a call recently. */
  onlyUnreachableLeft(unconfirmed: ReadonlySet<ShardState>): boolean {
    if (unconfirmed.size === 0) return false;
    for (const sibling of unconfirmed) if (!this.isSuspect(sibling)) return false;
    return true;
  }

  clear(): void {
    this.suspects.clear();
  }
}
