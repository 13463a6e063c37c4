import { err, ok } from '../../src/domain/core/result';
import { skuStream } from '../../src/domain/core/vectorClock';
import { available, DEFAULT_LOCATION, defined, locationAvailable, locationsOf, locationStock, mostSourceable, ringOf, sameRegionAs, siblingsOf, type SkuCommand, type SkuContext, type SkuState, type StockCause } from '../../src/domain/sku';
import type { Overloaded } from './admission';
import { earliest, STORM_YIELD_MS } from './alarmSchedule';
import { addEmptyWatcher, emptyWatchers, hasUndeliveredLoans, loadLoan, markDelivered, removeEmptyWatcher, undeliveredLoans } from './loans';
import type { Outcome } from '../../src/contract/outcome';
import { activeUnitsOf } from './reservations';
import { Siblings } from './siblings';
import { SIBLING_TIMEOUT_MS, SiblingCalls, type LendRequest, type LoanAnswer, type LoanDelivery, type SiblingShard, type Undrain } from './siblingCalls';
import { withinBound } from '../../src/contract/withinBound';

export type { LendRequest, LoanAnswer, LoanDelivery, SiblingShard, Undrain } from './siblingCalls';

/** A command the object decided and committed, and when its alarm must fire for what was committed. */
export type Committed<T> = { outcome: Outcome<T>; wakeAt: number | null };


/** What borrowing needs of its SKU object: its storage, its counters, its command pipeline, its alarm, its siblings. */
export type LoanHost = {
  sql: SqlStorage;
  transaction: (work: () => void) => void;
  state: () => SkuState;
  commit: <T>(command: SkuCommand, now: number, present: (ctx: SkuContext) => T, alsoWrite?: (presented: T) => void) => Committed<T>;
  wakeAt: (at: number | null) => Promise<void>;
  shard: (stream: string) => SiblingShard;
};

/**
 * A borrower normally takes a loan from the lender's answer; the lender delivers it again after
 * this, in case the answer was lost on the way (dropped call, borrower restarted): a repeated
 * delivery changes nothing, a missing one would lose the units.
 */
const LOAN_DELIVERY_GRACE_MS = 2_000;
const SIBLING_RETRY_MS = 1_000;
const LOAN_DELIVERIES_PER_ALARM = 20;
/**
 * Walks of its own one reservation may make before it is told to come back: each brings units, but
 * commands run while a walk awaits its siblings and may take them first.
 */
const MAX_WALKS = 8;
/** Retry-After when a sibling did not answer a walk: its location may be restarting. */
const SIBLING_UNREACHABLE_RETRY_S = 5;

/**
 * Sharded stock: a shard short of units borrows from its siblings (the walk), lends to them,
 * delivers its loans again until the borrower acknowledged them, and tells the siblings it
 * refused as empty once units are back (an undrain). Every transfer is a command of the shard's
 * pipeline, so it commits with its event; what a shard knows of its siblings is memory only.
 */
export class ShardLoans {
  readonly #host: LoanHost;
  readonly #siblings = new Siblings();
  readonly #calls: SiblingCalls;
  #walk: Promise<void> | null = null;
  /** This shard's undrain round, and whether a sibling waits to hear that units came back. */
  #undrainRound: number;
  #watched: boolean;
  #retryAt: number | null = null;
  #moreLoansAt: number | null = null;

  constructor(host: LoanHost) {
    this.#host = host;
    this.#calls = new SiblingCalls(host.shard, this.#siblings, () => ({ self: host.state().sku ?? '', all: this.#allSiblings(), regions: host.state().shardRegions }));
    const round = host.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'undrain_round'").toArray()[0]?.value;
    this.#undrainRound = Number(round ?? 0);
    this.#watched = emptyWatchers(host.sql).length > 0;
  }

  /** Whether a reserve of `units` borrows first: short here, sharded, and a customer the limit lets take them. */
  wants(units: number, customerId: string | undefined): boolean {
    const state = this.#host.state();
    if (units <= mostSourceable(locationsOf(state)) || state.shards <= 1) return false;
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
   * Asks the siblings in turn until one location here has `units` available: the one this shard
   * holds most of, or, holding none, the one the first lender picks for the buyer's region. Tells
   * whether every sibling answered and how many units came.
   */
  async #walkSiblings(units: number, region: string | undefined): Promise<{ reached: boolean; gained: number }> {
    let reached = true;
    let gained = 0;
    let location = this.#gatheringAt();
    for (const lender of this.#siblings.toAsk(this.#ring(), Date.now(), this.#nearHere())) {
      const here = location === undefined ? 0 : Math.max(0, locationAvailable(locationStock(this.#host.state(), location)));
      const want = units - here;
      if (want <= 0) break;
      // Found lost meanwhile (its region probed when a sibling there did not answer): skipped.
      if (this.#siblings.isUnreachable(lender, Date.now())) continue;
      // Unreachable, or not set up yet (its layout is being written): it may get units at any moment.
      const answer = await this.#ask(lender, { want, location, region });
      if (!answer) {
        // A sibling that is down (its breaker open) holds units nobody can sell now: the buyer is
        // refused as for stock, a true answer (ADR 0022). One not set up yet: come back soon.
        if (!this.#siblings.isUnreachable(lender, Date.now())) reached = false;
        continue;
      }
      const { lent, left, round, version } = answer;
      this.#siblings.heard(lender, left, round);
      if (lent > 0 && version !== null) {
        gained += lent;
        location ??= answer.location ?? DEFAULT_LOCATION;
      }
      // Units just came here: siblings told this shard was empty hear it before its buyers take
      // them, which keeps the window in which they refuse buyers while units sit here short.
      if (lent > 0 && this.#watched) await this.#tellWatchers();
    }
    return { reached, gained };
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

  /**
   * A sibling short of units asks for some. What is lent leaves this shard's stock in the same
   * transaction as its StockLent event; left empty, this shard remembers the sibling and tells it
   * when units come back. The borrower takes the loan from the answer; this shard delivers it
   * again later (see `work`), so a lost answer loses no unit, and a repeat doubles none.
   */
  async lend(req: LendRequest): Promise<Outcome<LoanAnswer>> {
    const now = Date.now();
    const { transferId, to, want, location, region, recall, level } = req;
    if (level) this.#siblings.learn(to, level.units, level.asOf);
    const command: SkuCommand = { type: 'LendStock', data: { transferId, to, want, ...defined({ location, region, recall }) } };
    const { outcome, wakeAt } = this.#host.commit(command, now, (ctx) => available(ctx.state), (left) => {
      if (left === 0) addEmptyWatcher(this.#host.sql, req.to, this.#undrainRound);
    });
    if (!outcome.ok) return outcome;
    const left = outcome.value;
    if (left === 0) this.#watched = true;
    const loan = loadLoan(this.#host.sql, req.transferId);
    await this.#host.wakeAt(earliest(wakeAt, loan ? now + LOAN_DELIVERY_GRACE_MS : null));
    const levels = this.#siblings.beliefs(this.#host.state().sku ?? '', left, now);
    return ok({ lent: loan?.qty ?? 0, left, round: this.#undrainRound, version: loan?.version ?? null, levels, ...defined({ location: loan?.location ?? undefined }) });
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
  async work(): Promise<void> {
    this.#retryAt = null;
    await this.#deliverLoans();
    await this.#tellWatchers();
  }

  /** When sibling work is due: undelivered loans after their grace, watchers once units are back. */
  dueAt(now: number): number | null {
    const state = this.#host.state();
    // Loans need siblings, and a layout never shrinks: an unsharded SKU has none to look for.
    const loans = state.shards > 1 && hasUndeliveredLoans(this.#host.sql) ? (this.#moreLoansAt ?? now + LOAN_DELIVERY_GRACE_MS) : null;
    const watchers = this.#watched && available(state) > 0 ? now : null;
    const due = earliest(loans, watchers);
    return due === null ? null : Math.max(due, this.#retryAt ?? 0);
  }

  /** Loans whose borrower may not have taken them, delivered again (the borrower ignores a repeat). */
  async #deliverLoans(): Promise<void> {
    const self = this.#host.state().sku;
    if (!self) return;
    const loans = undeliveredLoans(this.#host.sql, LOAN_DELIVERIES_PER_ALARM);
    // A full batch: the rest may be due already, so the next run is not held back by the grace.
    this.#moreLoansAt = loans.length === LOAN_DELIVERIES_PER_ALARM ? Date.now() + STORM_YIELD_MS : null;
    for (const loan of loans) {
      try {
        const delivery = { sku: loan.peer, transferId: loan.transferId, from: self, qty: loan.qty, lentVersion: loan.version, ...defined({ location: loan.location ?? undefined }) };
        // Bounded: a borrower in a hanging region must not hold up the alarm's expiries and pushes.
        const taken = await withinBound(this.#host.shard(loan.peer).receiveLoan(delivery), SIBLING_TIMEOUT_MS);
        if (!taken.ok) throw new Error(taken.error.code);
        this.#host.transaction(() => markDelivered(this.#host.sql, loan.transferId));
      } catch (error) {
        console.warn(JSON.stringify({ level: 'warn', sku: self, message: 'loan delivery failed', borrower: loan.peer, transferId: loan.transferId, error: String(error) }));
        this.#retryAt = Date.now() + SIBLING_RETRY_MS;
        return;
      }
    }
  }

  /** Units are back: every sibling told this shard was empty hears it, in a new round. */
  async #tellWatchers(): Promise<void> {
    const { sql } = this.#host;
    const self = this.#host.state().sku;
    if (!self || !this.#watched || available(this.#host.state()) === 0) return;
    const round = this.#undrainRound + 1;
    this.#host.transaction(() => sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('undrain_round', ?)", String(round)));
    this.#undrainRound = round;
    for (const watcher of emptyWatchers(sql)) {
      const level = { units: available(this.#host.state()), asOf: Date.now() };
      try {
        // Bounded: a watcher in a hanging region must not hold up the walk that brought the units.
        const heard = await withinBound(this.#host.shard(watcher).undrain({ sku: watcher, from: self, round, level }), SIBLING_TIMEOUT_MS);
        if (!heard.ok) throw new Error(heard.error.code);
        this.#host.transaction(() => removeEmptyWatcher(sql, watcher, round));
      } catch (error) {
        console.warn(JSON.stringify({ level: 'warn', sku: self, message: 'undrain failed', watcher, error: String(error) }));
        this.#retryAt = Date.now() + SIBLING_RETRY_MS;
      }
    }
    this.#watched = emptyWatchers(sql).length > 0;
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
