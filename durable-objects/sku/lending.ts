import { ok } from '../../src/domain/core/result';
import { available, defined, type SkuCommand, type SkuContext, type SkuState } from '../../src/domain/sku';
import type { Outcome } from '../../src/contract/outcome';
import { withinBound } from '../../src/contract/withinBound';
import { earliest, STORM_YIELD_MS } from './alarmSchedule';
import { TurnQueue } from './commandQueue';
import { addEmptyWatcher, emptyWatchers, hasUndeliveredLoans, loadLoan, markDelivered, removeEmptyWatcher, undeliveredLoans } from './loans';
import { SIBLING_TIMEOUT_MS, type LendRequest, type LoanAnswer, type SiblingShard } from './siblingCalls';
import type { Siblings } from './siblings';

/** A command the object decided and committed, and when its alarm must fire for what was committed. */
export type Committed<T> = { outcome: Outcome<T>; wakeAt: number | null };

/** What borrowing and lending need of their SKU object: its storage, its state, its command pipeline, its alarm, its siblings. */
export type LoanHost = {
  sql: SqlStorage;
  transaction: (work: () => void) => void;
  state: () => SkuState;
  setState: (state: SkuState) => void;
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
/** Lend requests decided in one transaction at most: a group commit's size (ADR 0021). */
const LENDS_PER_GROUP = 64;
/** A lend request's answer from its group, or what deciding it threw. */
type Lent = { outcome: Outcome<LoanAnswer> } | { thrown: unknown };

/**
 * A shard's side as a lender: it lends to siblings short of units, delivers each loan again until
 * the borrower took it, and tells the siblings it refused as empty once units are back (an
 * undrain, in a new round).
 */
export class Lender {
  readonly #host: LoanHost;
  readonly #siblings: Siblings;
  readonly #lends = new TurnQueue<LendRequest, Lent>((reqs) => this.#lendGroup(reqs), LENDS_PER_GROUP);
  /** This shard's undrain round, and whether a sibling waits to hear that units came back. */
  #undrainRound: number;
  #watched: boolean;
  #retryAt: number | null = null;
  #moreLoansAt: number | null = null;

  constructor(host: LoanHost, siblings: Siblings) {
    this.#host = host;
    this.#siblings = siblings;
    const round = host.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'undrain_round'").toArray()[0]?.value;
    this.#undrainRound = Number(round ?? 0);
    this.#watched = emptyWatchers(host.sql).length > 0;
  }

  /**
   * A sibling short of units asks for some. What is lent leaves this shard's stock in the same
   * transaction as its StockLent event; left empty, this shard remembers the sibling and tells it
   * when units come back. The borrower takes the loan from the answer; this shard delivers it
   * again later (see `work`), so a lost answer loses no unit, and a repeat doubles none. Requests
   * that reach the shard together are decided in one transaction (batched, ADR 0023).
   */
  async lend(req: LendRequest): Promise<Outcome<LoanAnswer>> {
    const answer = await this.#lends.submit(req);
    if ('thrown' in answer) throw answer.thrown;
    return answer.outcome;
  }

  /** One group of lend requests: each decided in its own savepoint, what one threw thrown for it alone. */
  async #lendGroup(reqs: readonly LendRequest[]): Promise<Lent[]> {
    const now = Date.now();
    const before = this.#host.state();
    const answers: Lent[] = [];
    let wake: number | null = null;
    try {
      this.#host.transaction(() => {
        for (const req of reqs) {
          try {
            const { outcome, wakeAt } = this.#lendOne(req, now);
            answers.push({ outcome });
            wake = earliest(wake, wakeAt);
          } catch (thrown) {
            answers.push({ thrown });
          }
        }
      });
    } catch (error) {
      this.#host.setState(before);
      throw error;
    }
    await this.#host.wakeAt(wake);
    return answers;
  }

  #lendOne(req: LendRequest, now: number): Committed<LoanAnswer> {
    const { transferId, to, want, location, region, recall, level } = req;
    if (level) this.#siblings.learn(to, level.units, level.asOf);
    const command: SkuCommand = { type: 'LendStock', data: { transferId, to, want, ...defined({ location, region, recall }) } };
    const { outcome, wakeAt } = this.#host.commit(command, now, (ctx) => available(ctx.state), (left) => {
      if (left === 0) addEmptyWatcher(this.#host.sql, req.to, this.#undrainRound);
    });
    if (!outcome.ok) return { outcome, wakeAt };
    const left = outcome.value;
    if (left === 0) this.#watched = true;
    const loan = loadLoan(this.#host.sql, req.transferId);
    const levels = this.#siblings.beliefs(this.#host.state().sku ?? '', left, now);
    const answer = { lent: loan?.qty ?? 0, left, round: this.#undrainRound, version: loan?.version ?? null, levels, ...defined({ location: loan?.location ?? undefined }) };
    return { outcome: ok(answer), wakeAt: earliest(wakeAt, loan ? now + LOAN_DELIVERY_GRACE_MS : null) };
  }

  /** The alarm's share: loans whose borrower may not have taken them, then watchers once units are back. */
  async work(): Promise<void> {
    this.#retryAt = null;
    await this.#deliverLoans();
    await this.tellWatchers();
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
  async tellWatchers(): Promise<void> {
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
}
