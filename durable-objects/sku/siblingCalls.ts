import { regionOfShard, shardOf, type ShardRegions, type StockCause } from '../../src/domain/sku';
import type { Outcome } from '../../src/contract/outcome';
import { withinBound } from '../../src/contract/withinBound';
import type { Belief, Level, Siblings } from './siblings';

/**
 * A sibling silent this long is taken as unreachable (and skipped a while: `Siblings`): past the
 * admission bound (a sibling's queue holds up to 1 s of work), so a busy sibling is not taken for
 * a lost one and its units for unsellable.
 */
export const SIBLING_TIMEOUT_MS = 1_500;

/**
 * `location`: units of that location only; `region`: the buyer's, for the lender's pick; `recall`: shard 0 takes them back (recall.ts);
 * `level`: the borrower's units as it asks (gossip, `siblings.ts`).
 */
export type LendRequest = { sku: string; transferId: string; to: string; want: number; location?: string | undefined; region?: string | undefined; recall?: StockCause | undefined; level?: Level | undefined };
/**
 * `lent` units (0: none) of `location`; `left` units remain; `round`: the lender's undrain round; `version` of its StockLent;
 * `levels`: the lender's and every sibling level it believes (gossip).
 */
export type LoanAnswer = { lent: number; left: number; round: number; version: number | null; location?: string | undefined; levels?: Belief[] | undefined };
export type LoanDelivery = { sku: string; transferId: string; from: string; qty: number; lentVersion: number; location?: string | undefined };
/** `level`: the units back at the sibling that was empty, and when. */
export type Undrain = { sku: string; from: string; round: number; level?: Level | undefined };

/** What a shard asks of a sibling shard's object (its RPC methods; the stub makes each a promise). */
export type SiblingShard = {
  lend(req: LendRequest): Promise<Outcome<LoanAnswer>>;
  /** A read with no effect: how a lost region's other shards are probed at once. */
  counters(sku: string): Promise<Outcome<unknown>>;
  receiveLoan(loan: LoanDelivery): Promise<Outcome<null>>;
  undrain(req: Undrain): Promise<Outcome<null>>;
};

/** Where a shard sits among its siblings, for the probe of a lost region. */
type Layout = { self: string; all: readonly string[]; regions: ShardRegions | null };

/**
 * Calls to sibling shards (ADR 0022): each bounded; one that throws or times out marks the sibling
 * unreachable for a while (`Siblings`) and its region suspect (probed in the background, a read),
 * so a walk pays one bound for a lost region, not one per lost shard.
 */
export class SiblingCalls {
  readonly #shard: (stream: string) => SiblingShard;
  readonly #siblings: Siblings;
  readonly #layout: () => Layout;

  constructor(shard: (stream: string) => SiblingShard, siblings: Siblings, layout: () => Layout) {
    this.#shard = shard;
    this.#siblings = siblings;
    this.#layout = layout;
  }

  /** The lender's answer; null when it did not answer in time (a late lend is not lost: the lender delivers it again). */
  async lend(lender: string, req: LendRequest): Promise<Outcome<LoanAnswer> | null> {
    try {
      return await withinBound(this.#shard(lender).lend(req), SIBLING_TIMEOUT_MS);
    } catch (error) {
      this.#siblings.unreachable(lender, Date.now());
      console.warn(JSON.stringify({ level: 'warn', sku: this.#layout().self, message: 'sibling shard unreachable', lender, error: String(error) }));
      this.#suspectRegionOf(lender);
      return null;
    }
  }

  /**
   * The other shards of a silent sibling's region are taken as lost at once (the walk goes on
   * without waiting on them) and probed in the background: the ones that answer are asked again.
   */
  #suspectRegionOf(lost: string): void {
    const { all, regions } = this.#layout();
    if (!regions) return;
    const region = regionOfShard(regions, shardOf(lost));
    const now = Date.now();
    const suspects = all.filter((s) => s !== lost && regionOfShard(regions, shardOf(s)) === region && !this.#siblings.isUnreachable(s, now));
    for (const s of suspects) {
      this.#siblings.unreachable(s, now);
      void withinBound(this.#shard(s).counters(s), SIBLING_TIMEOUT_MS).then(
        () => this.#siblings.reachable(s),
        () => undefined,
      );
    }
  }
}
