import { err, ok } from '../../src/domain/core/result';
import type { SkuCounters, SkuState } from '../../src/domain/sku';
import { liveGenerations, type GenerationsView } from '../generations/view';
import type { Outcome } from '../../src/contract/outcome';
import { loadWrites, planWrite, projectionDueAt, recordWrite, viewKey, writtenVersion, type WritePlan, type WriteRow } from './projection';

/** After a failed KV write or registry call, the next attempt waits this long rather than looping hot. */
const PROJECTION_RETRY_MS = 5_000;

export type ProjectionWrite = Extract<WritePlan, { kind: 'deferred' | 'current' }> | { kind: 'written' };
export type ProjectResult = { result: 'written' | 'stale' | 'deferred' };

export type ProjectionDeps = {
  sql: SqlStorage;
  kv: KVNamespace;
  /** The registry's generations, never older than a writer may trust (`generationsForWriting`). */
  generations: () => Promise<GenerationsView>;
  /** The object's counters as last committed. */
  state: () => SkuState;
};

/**
 * The SKU object's live read model: its newest view, written to every live generation that lags,
 * all together and at most once a second (the plan is `projection.ts`). Only this object writes
 * its keys, so a view never replaces a newer one.
 */
export class ProjectionWriter {
  readonly #deps: ProjectionDeps;
  #kvWrites: Promise<void> = Promise.resolve();
  /** After a failed KV write or registry call: not before then. */
  #retryAt: number | null = null;
  /** The read-model generations last heard of from the registry (refreshed by every alarm). */
  #liveGenerations: string[] | null = null;
  /** A copy of the projection_writes rows, which only `write` changes: read on every commit. */
  #writes: WriteRow[] | null = null;

  constructor(deps: ProjectionDeps) {
    this.#deps = deps;
  }

  async write(): Promise<ProjectionWrite> {
    const { sql, kv } = this.#deps;
    const sku = this.#deps.state().sku;
    if (!sku) return { kind: 'current' };
    try {
      this.#liveGenerations = liveGenerations(await this.#deps.generations());
    } catch (error) {
      // The registry not answering must not stop the alarm (expiries, relay), and the views wait:
      // written from an old copy, one could land in a generation deleted meanwhile, for good.
      console.warn(JSON.stringify({ level: 'warn', sku, message: 'generations registry unavailable: views deferred', error: String(error) }));
      this.#liveGenerations = null;
      return this.#retryLater();
    }
    const gens = this.#liveGenerations;
    let outcome: ProjectionWrite = { kind: 'current' };
    // One write at a time: a put awaits the network, and two interleaved runs could both write.
    this.#kvWrites = this.#kvWrites.then(async () => {
      const plan = planWrite(this.#rows(), gens, this.#deps.state(), Date.now());
      if (plan.kind !== 'write') {
        outcome = plan;
        return;
      }
      const results = await Promise.allSettled(plan.writes.map(({ generation, view }) => kv.put(viewKey(generation, sku), JSON.stringify(view))));
      // What was written is recorded (its key is now rate-limited); what failed waits for a retry, not a hot loop.
      plan.writes.forEach(({ generation, view }, i) => results[i]!.status === 'fulfilled' && recordWrite(sql, generation, view));
      this.#writes = null;
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        console.warn(JSON.stringify({ level: 'warn', sku, message: 'read model write failed', error: String(failed.reason) }));
        outcome = this.#retryLater();
        return;
      }
      this.#retryAt = null;
      outcome = { kind: 'written' };
    });
    await this.#kvWrites;
    return outcome;
  }

  /**
   * A rebuild's view of this SKU for a generation, replayed from the log. This object writes it
   * (or, further along, its own newer view: both are folds of a prefix of its log) together with
   * its other generations; `deferred` means within the second, to be sent again.
   */
  async projectInto(generation: string, counters: SkuCounters, wakeAt: (at: number) => Promise<void>): Promise<Outcome<ProjectResult>> {
    const { version } = this.#deps.state();
    if (version === 0) return err({ code: 'sku_not_found' });
    if (counters.version > version) {
      return err({ code: 'invalid_command', reason: `a view at version ${counters.version} is ahead of the object (${version})` });
    }
    if (writtenVersion(this.#rows(), generation) >= counters.version) return ok({ result: 'stale' });
    const written = await this.write();
    // A shadow created within the last second may not have reached this isolate yet: ask again later.
    if (!this.#liveGenerations?.includes(generation)) return ok({ result: 'deferred' });
    if (written.kind === 'deferred') {
      await wakeAt(written.at);
      return ok({ result: 'deferred' });
    }
    return ok({ result: writtenVersion(this.#rows(), generation) >= counters.version ? 'written' : 'deferred' });
  }

  /** Before the registry was first asked, a write is due at once; the alarm then learns the generations. */
  dueAt(now: number): number | null {
    const state = this.#deps.state();
    if (!state.sku) return null;
    const due = this.#liveGenerations ? projectionDueAt(this.#rows(), this.#liveGenerations, state.version, now) : now;
    return due === null ? null : Math.max(due, this.#retryAt ?? 0);
  }

  #retryLater(): ProjectionWrite {
    this.#retryAt = Date.now() + PROJECTION_RETRY_MS;
    return { kind: 'deferred', at: this.#retryAt };
  }

  #rows(): WriteRow[] {
    return (this.#writes ??= loadWrites(this.#deps.sql));
  }
}
