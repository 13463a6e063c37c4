import { err } from '../../src/domain/core/result';
import { skuStream } from '../../src/domain/core/vectorClock';
import { available, DEFAULT_LOCATION, policyRefusal, locationAvailable, locationsOf, locationStock, mostSourceable, ringOf, sameRegionAs, siblingsOf, type SkuCommand, type StockCause } from '../../src/domain/sku';
import type { Overloaded } from './admission';
import type { Outcome } from '../../src/contract/outcome';
import { activeUnitsOf } from './reservations';
import { Siblings } from './siblings';
import { Lender, type LoanHost } from './lending';
import { SiblingCalls, type LendRequest, type LoanAnswer, type LoanDelivery, type Undrain } from './siblingCalls';

export type { LendRequest, LoanAnswer, LoanDelivery, SiblingShard, Undrain } from './siblingCalls';
export type { Committed, LoanHost } from './lending';

/**
 * Walks of its own one reservation may make before it is told to come back: each brings units, but
 * commands run while a walk awaits its siblings and may take them first.
 */
const MAX_WALKS = 8;
/**
 * Siblings believed to hold units that a walk asks at once (ADR 0023): one at a time costs a
 * round trip each across regions, all at once floods them (the region study: 4 is best of 1–64).
 */
const WALK_FANOUT = 4;
/** Retry-After when a sibling did not answer a walk: its location may be restarting. */
const SIBLING_UNREACHABLE_RETRY_S = 5;

/**
 * Sharded stock: a shard short of units borrows from its siblings (the walk); the lender's side —
 * lending, delivering loans again, telling siblings units are back — is `lending.ts`. Every
 * transfer is a command of the shard's pipeline, so it commits with its event; what a shard knows
 * of its siblings is memory only.
 */
export class ShardLoans {
  readonly #host: LoanHost;
  readonly #siblings = new Siblings();
  readonly #calls: SiblingCalls;
  readonly #lender: Lender;
  #walk: Promise<void> | null = null;

  constructor(host: LoanHost) {
    this.#host = host;
    this.#calls = new SiblingCalls(host.shard, this.#siblings, () => ({ self: host.state().sku ?? '', all: this.#allSiblings(), regions: host.state().shardRegions }));
    this.#lender = new Lender(host, this.#siblings);
  }

  /** Whether a reserve of `units` borrows first: short here, sharded, and a customer the limit lets take them. */
  wants(units: number, customerId: string | undefined): boolean {
    const state = this.#host.state();
    if (units <= mostSourceable(locationsOf(state)) || state.shards <= 1) return false;
    // Refused by the sale policy anyway (not started, too many units): nothing is borrowed for it.
    if (policyRefusal(state.policy, units, Date.now())) return false;
    const limit = state.limitPerCustomer;
    return limit === null || customerId === undefined || activeUnitsOf(this.#host.sql, customerId) + units <= limit;
  }

  /** Whether a sibling may still lend: one not known empty and not found unreachable lately. */
  worthAsking(): boolean {
    return this.#siblings.toAsk(this.#ring()).length > 0;
  }

  /**
   * Units for a reservation of `units` on a shard short of them: borrowed from the siblings not
   * known to be empty, one walk at a time per shard (buyers arriving meanwhile wait for it and then
   * look again). Null once there are enough units or every sibling is known empty, so the
   * decision that follows refuses `insufficient_stock` only when the whole SKU lacks the units;
   * 503 when a sibling that might have them did not answer.
   */
  async borrow(units: number, region?: string): Promise<Overloaded | null> {
    // A reservation takes all its units from one location: enough is one location with them.
    const enough = () => mostSourceable(locationsOf(this.#host.state())) >= units;
    for (let walks = 0; walks < MAX_WALKS; ) {
      if (enough()) return null;
      if (this.#walk) {
        // Another buyer's walk brings units for it and, often, for the ones waiting behind it.
        await this.#walk;
        continue;
      }
      walks++;
      let reached = true;
      let gained = 0;
      this.#walk = this.#walkSiblings(units, region).then((r) => void ({ reached, gained } = r));
      try {
        await this.#walk;
      } finally {
        this.#walk = null;
      }
      if (enough()) return null;
      if (!reached) return { code: 'overloaded', retryAfterSeconds: SIBLING_UNREACHABLE_RETRY_S };
      // Every sibling answered and none had units of the location this walk gathers: no walk will do better.
      if (this.#siblings.allEmpty(this.#allSiblings()) || gained === 0) return null;
    }
    // Units kept moving away between this buyer's walks (its siblings were borrowing too).
    return { code: 'overloaded', retryAfterSeconds: 1 };
  }

  /**
   * Asks the siblings believed to hold units, most first, a few at a time, until one location here
   * has `units` available: the one this shard holds most of, or, holding none, the one the first
   * lender picks for the buyer's region (never heard of counts as holding). Then the rest, last
   * heard of with none, at once (ADR 0023): across regions, asking them one by one costs a round
   * trip each. Tells whether every sibling answered and how many units came.
   */
  async #walkSiblings(units: number, region: string | undefined): Promise<{ reached: boolean; gained: number }> {
    const walk = { reached: true, gained: 0, location: this.#gatheringAt() };
    const want = () => units - (walk.location === undefined ? 0 : Math.max(0, locationAvailable(locationStock(this.#host.state(), walk.location))));
    const order = this.#siblings.toAsk(this.#ring(), Date.now(), this.#nearHere());
    // Split before asking: a sibling heard empty during the walk is not asked twice.
    const holding = order.filter((s) => !this.#siblings.believedEmpty(s));
    const rest = order.filter((s) => this.#siblings.believedEmpty(s));
    let next = 0;
    const before = walk.gained;
    // Up to WALK_FANOUT of them out at once, the next asked as one answers, until the units are here.
    // Each is asked for the whole shortfall (as the model does): beliefs are often stale in a sale,
    // and units that come in beyond it stay here, sellable and lendable, never lost or doubled.
    const lane = async () => {
      while (next < holding.length && want() > 0) await this.#visit(holding[next++]!, want(), region, walk);
    };
    await settledAll(Array.from({ length: WALK_FANOUT }, lane));
    if (want() > 0 && rest.length > 0) await settledAll(rest.map((lender) => this.#visit(lender, want(), region, walk)));
    // Units just came here: siblings told this shard was empty hear it before its buyers take
    // them, which keeps the window in which they refuse buyers while units sit here short.
    if (walk.gained > before) await this.#lender.tellWatchers();
    return walk;
  }

  /** One sibling of a walk asked for `want` units: how many it lent (0 if none, or no answer). */
  async #visit(lender: string, want: number, region: string | undefined, walk: { reached: boolean; gained: number; location: string | undefined }): Promise<number> {
    // Found lost meanwhile (its region probed when a sibling there did not answer): skipped.
    if (this.#siblings.isUnreachable(lender, Date.now())) return 0;
    // Unreachable, or not set up yet (its layout is being written): it may get units at any moment.
    const answer = await this.#ask(lender, { want, location: walk.location, region });
    if (!answer) {
      // A sibling that is down (its breaker open) holds units nobody can sell now: the buyer is
      // refused as for stock, a true answer (ADR 0022). One not set up yet: come back soon.
      if (!this.#siblings.isUnreachable(lender, Date.now())) walk.reached = false;
      return 0;
    }
    const { lent, left, round, version } = answer;
    this.#siblings.heard(lender, left, round);
    if (lent === 0 || version === null) return 0;
    walk.gained += lent;
    walk.location ??= answer.location ?? DEFAULT_LOCATION;
    return lent;
  }

  /** The location a walk gathers for: the one with the most units here (none named: `default`), none if nothing is here. */
  #gatheringAt(): string | undefined {
    const state = this.#host.state();
    const [most] = [...locationsOf(state)].sort((a, b) => locationAvailable(b) - locationAvailable(a));
    return most && locationAvailable(most) > 0 ? most.location : undefined;
  }

  /** One sibling's loan of a location's units (a recall takes committed ones too), taken here; null if it did not answer. */
  async loanFrom(lender: string, request: { want: number; location: string; recall?: StockCause }): Promise<number | null> {
    return (await this.#ask(lender, request))?.lent ?? null;
  }

  /** One sibling asked for units (the walk's and `loanFrom`'s one way), what it lent taken here; null if it did not answer. */
  async #ask(lender: string, request: { want: number; location?: string | undefined; region?: string | undefined; recall?: StockCause }): Promise<LoanAnswer | null> {
    const self = this.#host.state().sku!;
    const transferId = crypto.randomUUID();
    const level = { units: available(this.#host.state()), asOf: Date.now() };
    const answer = await this.#calls.lend(lender, { sku: lender, transferId, to: self, level, ...request });
    if (!answer?.ok) return null;
    const { lent, version, location, levels } = answer.value;
    this.#siblings.merge(self, levels ?? []);
    if (lent > 0 && version !== null) this.#take({ sku: self, transferId, from: lender, qty: lent, lentVersion: version, location });
    return answer.value;
  }

  #take(loan: LoanDelivery): Outcome<null> {
    const { transferId, from, qty, lentVersion, location } = loan;
    const data = { transferId, from, qty, ...(location === undefined ? {} : { location }) };
    const command: SkuCommand = { type: 'ReceiveLoan', data, causedBy: { [skuStream(from)]: lentVersion } };
    const { outcome, wakeAt } = this.#host.commit(command, Date.now(), () => null);
    void this.#host.wakeAt(wakeAt);
    return outcome;
  }

  /** A sibling short of units asks for some (`lending.ts`). */
  lend(req: LendRequest): Promise<Outcome<LoanAnswer>> {
    return this.#lender.lend(req);
  }

  /** A loan delivered again by its lender: taken once, whatever the number of deliveries. */
  receive(loan: LoanDelivery): Outcome<null> {
    if (this.#host.state().version === 0) return err({ code: 'sku_not_found' });
    return this.#take(loan);
  }

  /** A sibling that said it was empty has units again. */
  undrained(req: Undrain): void {
    this.#siblings.undrained(req.from, req.round, req.level);
  }

  /** The alarm's share: loans whose borrower may not have taken them, then watchers once units are back. */
  work(): Promise<void> {
    return this.#lender.work();
  }

  /** When sibling work is due: undelivered loans after their grace, watchers once units are back. */
  dueAt(now: number): number | null {
    return this.#lender.dueAt(now);
  }

  #allSiblings(): string[] {
    const { sku, shards } = this.#host.state();
    return siblingsOf(sku ?? '', shards);
  }

  #ring(): string[] {
    const { sku, shards } = this.#host.state();
    return ringOf(sku ?? '', shards);
  }

  #nearHere(): (sibling: string) => boolean {
    const { sku, shardRegions } = this.#host.state();
    return sameRegionAs(sku ?? '', shardRegions);
  }
}

/** Every promise settled before the first failure is thrown: no lane of a walk left running behind its end. */
async function settledAll(work: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
