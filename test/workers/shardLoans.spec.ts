import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { err, ok } from '../../src/domain/core/result';
import { decide, evolveContext, initialSkuState, streamOf, type ShardRegion, type SkuState } from '../../src/domain/sku';
import type { Sku } from '../../durable-objects/Sku';
import { ShardLoans, type LoanAnswer, type LoanHost } from '../../durable-objects/sku/borrowing';
import { loadContext, saveDecision } from '../../durable-objects/sku/commandStore';
import type { Outcome } from '../../src/contract/outcome';
import { uniqueSku } from '../support/api';

/**
 * Shard loans on their own: shard 0 of a SKU split over three, on a real object's storage, its
 * commands decided by the real domain; its two siblings are the test's, answering as told.
 */

type Peer = {
  lend: (req: unknown) => Promise<Outcome<LoanAnswer>>;
  counters: (sku: string) => Promise<Outcome<unknown>>;
  receiveLoan: (loan: unknown) => Promise<Outcome<null>>;
  undrain: (req: unknown) => Promise<Outcome<null>>;
};
type Setup = { loans: ShardLoans; state: () => SkuState; self: string; s1: string; s2: string; s3: string; peers: Record<string, Peer>; wakes: (number | null)[]; transactions: () => number };

const answer = (lent: number, left: number, version: number | null = lent > 0 ? 7 : null): Outcome<LoanAnswer> => ok({ lent, left, round: 0, version });
const peer = (lend: Peer['lend'], counters: Peer['counters'] = async () => ok(null)): Peer =>
  ({ lend: vi.fn(lend), counters: vi.fn(counters), receiveLoan: vi.fn(async () => ok(null)), undrain: vi.fn(async () => ok(null)) });

/** Three shards by default; `layout` gives more, placed over regions (the fourth sibling is `s3`). */
type Layout = { shards: number; shardRegions: ShardRegion[] };

function withLoans(onHand: number, peers: (s1: string, s2: string, s3: string) => Record<string, Peer>, body: (setup: Setup) => Promise<void>, limitPerCustomer: number | null = null, layout?: Layout) {
  const sku = uniqueSku('loans');
  const [self, s1, s2, s3] = [0, 1, 2, 3].map((k) => streamOf(sku, k)) as [string, string, string, string];
  return runInDurableObject(env.SKU.getByName(self) as unknown as DurableObjectStub, async (_: unknown, ctx) => {
    const sql = ctx.storage.sql;
    let state: SkuState = { ...initialSkuState(), sku: self, version: 1, onHand, shards: 3, limitPerCustomer, ...layout };
    const wakes: (number | null)[] = [];
    const commit: LoanHost['commit'] = (command, now, present, alsoWrite) => {
      const before = loadContext(sql, state, command);
      const decision = decide(command, before, now);
      if (!decision.ok) return { outcome: decision, wakeAt: null };
      const after = decision.value.reduce(evolveContext, before);
      const presented = present(after);
      saveDecision(sql, before, after, decision.value, now);
      alsoWrite?.(presented);
      state = after.state;
      return { outcome: ok(presented), wakeAt: null };
    };
    const siblings = peers(s1, s2, s3);
    let transactions = 0;
    const loans = new ShardLoans({
      sql, commit, state: () => state, setState: (next) => void (state = next),
      transaction: (work) => (transactions++, ctx.storage.transactionSync(work)),
      wakeAt: async (at) => void wakes.push(at),
      shard: (stream) => siblings[stream] as unknown as DurableObjectStub<Sku>,
    });
    await body({ loans, state: () => state, self, s1, s2, s3, peers: siblings, wakes, transactions: () => transactions });
  });
}

describe('shard loans', () => {
  it('borrow only when short, sharded, and within the customer’s limit', async () => {
    await withLoans(2, () => ({}), async ({ loans }) => {
      expect(loans.wants(2, 'c')).toBe(false);
      expect(loans.wants(3, 'c')).toBe(true);
      expect(loans.wants(3, undefined)).toBe(true);
    });
    // A limit of 2 refuses 3 units anyway: nothing is borrowed for a buyer who will be refused.
    await withLoans(2, () => ({}), async ({ loans }) => expect(loans.wants(3, 'c')).toBe(false), 2);
  });

  it('walks the siblings until it has the units, taking each loan in its own committed event', async () => {
    await withLoans(1, (s1, s2) => ({ [s1]: peer(async () => answer(0, 0)), [s2]: peer(async () => answer(3, 5)) }), async ({ loans, state, self, s1, s2, peers }) => {
      expect(await loans.borrow(4)).toBeNull();
      expect(state()).toMatchObject({ onHand: 4, lent: -3, version: 2 });
      expect(peers[s1]!.lend).toHaveBeenCalledTimes(1);
      expect(peers[s2]!.lend).toHaveBeenCalledWith(expect.objectContaining({ sku: s2, want: 3 }));
      // s1 said it was empty: it is not asked again until it says units are back.
      peers[s2]!.lend = vi.fn(async () => answer(0, 0));
      expect(await loans.borrow(10)).toBeNull();
      expect(peers[s1]!.lend).toHaveBeenCalledTimes(1);
      // Told units are back (round 1), it is asked again; its "empty" of that round is believed.
      loans.undrained({ sku: self, from: s1, round: 1 });
      const again = vi.fn(async (): Promise<Outcome<LoanAnswer>> => ok({ lent: 0, left: 0, round: 1, version: null }));
      peers[s1]!.lend = again;
      expect(await loans.borrow(10)).toBeNull();
      expect(again).toHaveBeenCalledTimes(1);
    });
  });

  it('a sibling that does not answer is taken as down: its units are unsellable for now (the buyer is refused for stock) and later walks skip it (ADR 0022)', async () => {
    await withLoans(0, (s1, s2) => ({ [s1]: peer(async () => Promise.reject(new Error('gone'))), [s2]: peer(async () => answer(0, 0)) }), async ({ loans, peers, s1 }) => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      expect(await loans.borrow(1)).toBeNull();
      expect(peers[s1]!.lend).toHaveBeenCalledTimes(1);
      expect(await loans.borrow(1)).toBeNull();
      expect(peers[s1]!.lend).toHaveBeenCalledTimes(1);
      warn.mockRestore();
    });
  });

  it('a sibling that does not answer makes its region suspect at once: a walk waits one bound for a lost region, not one per shard, and the next skips it (probed in the background)', async () => {
    // Shards 0 and 2 in enam, 1 and 3 in weur; weur is lost: s1 throws, s3 never answers.
    const never = () => new Promise<never>(() => {});
    await withLoans(0, (s1, s2, s3) => ({ [s1]: peer(async () => Promise.reject(new Error('gone'))), [s2]: peer(async () => answer(0, 0)), [s3]: peer(never, never) }), async ({ loans, peers, s1, s2, s3 }) => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      // Nothing known of them: the three are asked at once, and the walk ends when s3's bound ends.
      let started = Date.now();
      expect(await loans.borrow(1)).toBeNull();
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(peers[s1]!.lend).toHaveBeenCalledTimes(1);
      expect(peers[s2]!.lend).toHaveBeenCalledTimes(1);
      expect(peers[s3]!.lend).toHaveBeenCalledTimes(1);
      // s1 failing made its region suspect: s3 was probed with a read, not only left to time out.
      expect(peers[s3]!.counters).toHaveBeenCalledTimes(1);
      // The next walk does not wait on weur at all: both its shards are skipped.
      started = Date.now();
      expect(await loans.borrow(1)).toBeNull();
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(peers[s1]!.lend).toHaveBeenCalledTimes(1);
      expect(peers[s3]!.lend).toHaveBeenCalledTimes(1);
      warn.mockRestore();
    }, null, { shards: 4, shardRegions: ['enam', 'weur'] });
  });

  it('a borrower that never answers a redelivery does not hold up the alarm\'s work past the bound', async () => {
    const hanging: Peer = { ...peer(async () => answer(0, 0)), receiveLoan: vi.fn(() => new Promise<never>(() => {})) };
    await withLoans(4, (s1, s2) => ({ [s1]: hanging, [s2]: peer(async () => answer(0, 0)) }), async ({ loans, self, s1, peers }) => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      expect(await loans.lend({ sku: self, transferId: 't-hang', to: s1, want: 2 })).toEqual(ok({ lent: 2, left: 2, round: 0, version: 2, levels: [{ sibling: self, units: 2, asOf: expect.any(Number) }] }));
      const started = Date.now();
      await loans.work();
      expect(peers[s1]!.receiveLoan).toHaveBeenCalledTimes(1);
      expect(Date.now() - started).toBeLessThan(3_000);
      warn.mockRestore();
    });
  });

  it('a sibling that answers but is not set up yet (its layout being written) makes the buyer come back later (503)', async () => {
    await withLoans(0, (s1, s2) => ({ [s1]: peer(async () => ({ ok: false, error: { code: 'sku_not_found' } }) as never), [s2]: peer(async () => answer(0, 0)) }), async ({ loans }) => {
      expect(await loans.borrow(1)).toEqual({ code: 'overloaded', retryAfterSeconds: 5 });
    });
  });

  it('levels travel by gossip: a lender\'s answer carries what it believes, and the next walk asks first the sibling believed to hold most', async () => {
    const soon = Date.now() + 60_000;
    const gossip = (s3: string) => async (): Promise<Outcome<LoanAnswer>> => ok({ lent: 1, left: 5, round: 0, version: 7, levels: [{ sibling: s3, units: 50, asOf: soon }] });
    await withLoans(0, (s1, s2, s3) => ({ [s1]: peer(gossip(s3)), [s2]: peer(async () => answer(0, 0)), [s3]: peer(async () => answer(0, 2)) }), async ({ loans, state, self, s1, s2, s3, peers }) => {
      // Nothing known yet: all three asked at once, each told this shard's level.
      expect(await loans.borrow(1)).toBeNull();
      for (const s of [s1, s2, s3]) expect(peers[s]!.lend).toHaveBeenCalledWith(expect.objectContaining({ to: self, level: { units: 0, asOf: expect.any(Number) } }));
      // s3 (50 by s1's gossip, fresher than its own "2") asked before s1 (5); s2 said empty: not asked.
      peers[s3]!.lend = vi.fn(async () => answer(1, 49));
      expect(await loans.borrow(2)).toBeNull();
      const [second] = vi.mocked(peers[s3]!.lend).mock.invocationCallOrder;
      expect(second).toBeLessThan(vi.mocked(peers[s1]!.lend).mock.invocationCallOrder[1]!);
      expect(peers[s2]!.lend).toHaveBeenCalledTimes(1);
      expect(state().onHand).toBeGreaterThanOrEqual(2);
    }, null, { shards: 4, shardRegions: ['enam'] });
  });

  it('a lender learns its borrower\'s level from the request and answers with every level it believes', async () => {
    await withLoans(4, () => ({}), async ({ loans, self, s1 }) => {
      await loans.lend({ sku: self, transferId: 't-l', to: s1, want: 1, level: { units: 7, asOf: 1_000 } });
      const second = await loans.lend({ sku: self, transferId: 't-m', to: s1, want: 1 });
      expect(second.ok && second.value.levels).toEqual([{ sibling: self, units: 1, asOf: expect.any(Number) }, { sibling: s1, units: 7, asOf: 1_000 }]);
    });
  });

  it('lend requests that reach a shard together are decided in one transaction, each answered as alone', async () => {
    await withLoans(8, () => ({}), async ({ loans, state, self, s1, s2, s3, transactions, wakes }) => {
      const before = transactions();
      const answers = await Promise.all([s1, s2, s3].map((to, i) => loans.lend({ sku: self, transferId: `t-${i}`, to, want: 1 })));
      expect(transactions() - before).toBe(1);
      // Each takes half of what is left when its turn comes: 4, then 2, then 1.
      expect(answers.map((a) => a.ok && [a.value.lent, a.value.left])).toEqual([[4, 4], [2, 2], [1, 1]]);
      expect(state()).toMatchObject({ onHand: 1, lent: 7 });
      // One alarm update for the group: the earliest redelivery of its loans.
      expect(wakes).toHaveLength(1);
    });
  });

  it('buyers arriving during a walk wait for it instead of walking again', async () => {
    const lend = async () => {
      await new Promise((r) => setTimeout(r, 20));
      return answer(4, 4);
    };
    await withLoans(0, (s1, s2) => ({ [s1]: peer(lend), [s2]: peer(lend) }), async ({ loans, state, peers, s1, s2 }) => {
      expect(await Promise.all([loans.borrow(2), loans.borrow(2)])).toEqual([null, null]);
      // One walk, which asked both siblings (never heard of) at once.
      expect(vi.mocked(peers[s1]!.lend).mock.calls.length + vi.mocked(peers[s2]!.lend).mock.calls.length).toBe(2);
      expect(state().onHand).toBe(8);
    });
  });

  it('lends, delivers the loan again after its grace, and tells a sibling it refused once units are back', async () => {
    await withLoans(4, (s1, s2) => ({ [s1]: peer(async () => answer(0, 0)), [s2]: peer(async () => answer(0, 0)) }), async ({ loans, state, self, s1, s2, peers, wakes }) => {
      const now = Date.now();
      const lent = await loans.lend({ sku: self, transferId: 't-1', to: s1, want: 4 });
      expect(lent).toEqual(ok({ lent: 4, left: 0, round: 0, version: 2, levels: [{ sibling: self, units: 0, asOf: expect.any(Number) }] }));
      expect(wakes.at(-1)).toBeGreaterThanOrEqual(now + 2_000);
      // Undelivered: due after the grace. Nothing here for the watcher (s1 heard "empty") while empty.
      expect(loans.dueAt(now)).toBe(now + 2_000);

      await loans.work();
      expect(peers[s1]!.receiveLoan).toHaveBeenCalledWith({ sku: s1, transferId: 't-1', from: self, qty: 4, lentVersion: 2 });
      expect(peers[s1]!.undrain).not.toHaveBeenCalled();
      expect(loans.dueAt(Date.now())).toBeNull();

      // Units come back (a loan from s2): s1, told "empty", is due to hear it at once, in round 1.
      expect(loans.receive({ sku: self, transferId: 't-2', from: s2, qty: 2, lentVersion: 9 })).toEqual(ok(null));
      expect(state().onHand).toBe(2);
      const later = Date.now();
      expect(loans.dueAt(later)).toBe(later);
      await loans.work();
      expect(peers[s1]!.undrain).toHaveBeenCalledWith({ sku: s1, from: self, round: 1, level: { units: 2, asOf: expect.any(Number) } });
      expect(loans.dueAt(Date.now())).toBeNull();
    });
  });

  it('a delivery that fails is retried a second later, not in a hot loop', async () => {
    await withLoans(4, (s1, s2) => ({ [s1]: peer(async () => answer(0, 0)), [s2]: peer(async () => answer(0, 0)) }), async ({ loans, self, s1, peers }) => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      await loans.lend({ sku: self, transferId: 't-3', to: s1, want: 1 });
      peers[s1]!.receiveLoan = vi.fn(async (): Promise<Outcome<null>> => err({ code: 'sku_not_found' }));
      const before = Date.now();
      await loans.work();
      expect(loans.dueAt(Date.now())).toBeGreaterThanOrEqual(before + 1_000);
      warn.mockRestore();
    });
  });
});
