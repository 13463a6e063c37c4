import { DurableObject } from 'cloudflare:workers';
import { GENERATIONS_TTL_MS } from './generations/registry';
import { err, ok } from '../src/domain/core/result';
import type { Env } from '../src/env';
import { deleteChunk, runBudget } from './generations/retirement';
import { listRebuilds, recordFinished, recordProgress, type ReportedRebuild } from './generations/rebuilds';
import type { Rebuilds } from '../src/contract/rebuildStatus';
import type { Result } from '../src/domain/core/result';
import type { Outcome } from '../src/contract/outcome';
import { acceptSignature, nextSignatureExpiry, purgeSeenSignatures } from './shared/seenSignatures';
import type { GenerationsView } from './generations/view';
import { migrateGenerations } from './generations/schema';

export { liveGenerations, type GenerationsView } from './generations/view';

/**
 * Read models live under a generation (`view:<generation>:<sku>` in KV). One generation is
 * active (readers use it); during a rebuild a shadow one is written too; after a switch the old
 * one keeps being written, as `retiring`, for a grace period, so a reader that still holds it
 * never sees a view go backwards. This object is the one place that says which is which.
 */

/**
 * A generation's keys are deleted this long after it stopped being live: longer than any object
 * trusts its copy of the registry while it can reach it, so none writes a key after its deletion.
 */
export const RETIRE_SETTLE_MS = 2 * GENERATIONS_TTL_MS;

type Row = { id: string; role: 'active' | 'shadow' | 'retiring' | 'retired'; created_at: number; until: number | null };
type Lease = { generation: string; rebuild: string; lease_until: number };

export type ShadowCreated = GenerationsView & { superseded: string | null };
/** One rebuild at a time (ADR 0006): another rebuild holds the shadow's lease. */
export type RebuildRunning = { code: 'rebuild_running'; rebuild: string; generation: string; leaseUntil: number; endpoint: string | null };
export type ShadowAbandoned = GenerationsView & { abandoned: boolean };

const notTheShadow = (generation: string, shadow: string | null) => ({
  code: 'invalid_command' as const,
  reason: `${generation} is not the shadow generation (${shadow ? `${shadow} is` : 'there is none'}): it was switched to, abandoned, left to expire, or superseded by a newer rebuild`,
});

export class Generations extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrateGenerations(this.#sql);
    if (this.#rows().length === 0) this.#sql.exec("INSERT INTO generations VALUES ('g1', 'active', ?, NULL)", Date.now());
  }

  current(): GenerationsView {
    const rows = this.#rows();
    const now = Date.now();
    return {
      active: rows.find((r) => r.role === 'active')!.id,
      shadow: rows.find((r) => r.role === 'shadow')?.id ?? null,
      retiring: rows.filter((r) => r.role === 'retiring' && (r.until ?? 0) > now).map((r) => ({ generation: r.id, until: r.until! })),
    };
  }

  /**
   * Starts a rebuild: a new shadow generation that live writes reach from now on, leased to
   * `rebuild` for `leaseMs` (renewed while it runs). Asked again by the same rebuild, it answers
   * the same shadow. One rebuild at a time, for the whole group of bridges: while another
   * rebuild's lease is live, it is refused (`rebuild_running`). A shadow whose lease ran out is
   * one nobody is finishing (its bridge died or lost it): it is retired, not taken over, and the
   * new rebuild gets a fresh one; the old rebuild can then neither write nor switch to it.
   * `status`: the new rebuild's status, kept for `projections status` on any replica.
   */
  async createShadow(rebuild: string, leaseMs: number, status?: ReportedRebuild): Promise<Result<ShadowCreated, RebuildRunning>> {
    const now = Date.now();
    const { active, shadow } = this.current();
    const lease = this.#shadowLease();
    if (shadow && lease?.rebuild === rebuild) {
      await this.#renew(shadow, now + leaseMs, status);
      return ok({ ...this.current(), superseded: null });
    }
    if (lease && lease.lease_until > now) {
      const running = listRebuilds(this.#sql, lease).running;
      return err({ code: 'rebuild_running', rebuild: lease.rebuild, generation: lease.generation, leaseUntil: lease.lease_until, endpoint: running?.endpoint ?? null });
    }
    this.ctx.storage.transactionSync(() => {
      if (shadow) this.#expire(shadow, now);
      const next = `g${this.#rows().length + 1}`;
      this.#sql.exec("INSERT INTO generations VALUES (?, 'shadow', ?, NULL)", next, now);
      this.#sql.exec('INSERT INTO shadow_leases VALUES (?, ?, ?)', next, rebuild, now + leaseMs);
      if (status) recordProgress(this.#sql, rebuild, { ...status, generation: next, previous: active, superseded: shadow }, now);
    });
    if (shadow) console.warn(JSON.stringify({ level: 'warn', message: 'shadow generation superseded by a new rebuild: its lease had run out', generation: shadow, rebuild }));
    await this.#armAlarm(Math.min(now + leaseMs, shadow ? now + RETIRE_SETTLE_MS : Infinity));
    return ok({ ...this.current(), superseded: shadow });
  }

  /** A running rebuild keeps its shadow, and reports how far it got: refused once it is no longer the shadow. */
  async renewShadow(generation: string, leaseMs: number, status?: ReportedRebuild): Promise<Outcome<GenerationsView>> {
    const { shadow } = this.current();
    if (shadow !== generation) return err(notTheShadow(generation, shadow));
    await this.#renew(generation, Date.now() + leaseMs, status);
    return ok(this.current());
  }

  /** The running rebuild as last reported, and the last few finished (ADR 0006). */
  rebuilds(): Rebuilds {
    return listRebuilds(this.#sql, this.#shadowLease());
  }

  /**
   * A failed rebuild gives its shadow up: it stops being written at once and its keys are deleted
   * (in chunks, by the alarm). Only while it is the shadow: a generation switched to, or already
   * given up, is left as it is, so the call is safe to repeat. `status`: the failed rebuild's
   * own account, kept as its result (also when its shadow was already gone).
   */
  async abandonShadow(generation: string, status?: ReportedRebuild): Promise<ShadowAbandoned> {
    const { shadow } = this.current();
    const now = Date.now();
    if (shadow !== generation) {
      if (status) recordFinished(this.#sql, status.id, 'failed', now, status);
      return { ...this.current(), abandoned: false };
    }
    const lease = this.#shadowLease();
    this.ctx.storage.transactionSync(() => {
      if (lease) recordFinished(this.#sql, lease.rebuild, 'failed', now, status && { ...status, generation }, `abandoned: shadow ${generation} given up`);
      this.#retire(generation, now);
    });
    await this.#armAlarm(now + RETIRE_SETTLE_MS);
    return { ...this.current(), abandoned: true };
  }

  /**
   * The shadow becomes active in one write; the old active is still written until `graceMs` passed.
   * With `generation`, only if that is still the shadow: a rebuild switches to its own, never to
   * the one that superseded it. `status`: the rebuild's result, kept as it switched.
   */
  async switchToShadow(graceMs: number, generation?: string, status?: ReportedRebuild): Promise<Outcome<GenerationsView>> {
    const { active, shadow } = this.current();
    if (!shadow) return err({ code: 'invalid_command', reason: 'no shadow generation to switch to' });
    if (generation !== undefined && generation !== shadow) return err(notTheShadow(generation, shadow));
    const now = Date.now();
    const until = now + graceMs;
    const lease = this.#shadowLease();
    this.ctx.storage.transactionSync(() => {
      if (lease) recordFinished(this.#sql, lease.rebuild, 'switched', now, status && { ...status, generation: shadow });
      this.#sql.exec("UPDATE generations SET role = 'retiring', until = ? WHERE id = ?", until, active);
      this.#sql.exec("UPDATE generations SET role = 'active' WHERE id = ?", shadow);
      this.#sql.exec('DELETE FROM shadow_leases WHERE generation = ?', shadow);
    });
    await this.#armAlarm(until + RETIRE_SETTLE_MS);
    return ok(this.current());
  }

  /** Remembers a signed internal call about generations; false when its signature was used before. */
  async acceptSignature(id: string, expiresAt: number): Promise<boolean> {
    const accepted = acceptSignature(this.#sql, id, expiresAt);
    if (accepted) await this.#armAlarm(expiresAt);
    return accepted;
  }

  /**
   * Retires a shadow whose rebuild stopped renewing it (its bridge died), and deletes the keys of
   * retired generations in bounded chunks: at most a few hundred KV operations per run, then the
   * alarm is armed again at once until every key is gone; only then is the generation `retired`.
   * Alarms may run twice or late: everything here is derived from storage.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    purgeSeenSignatures(this.#sql, now);
    this.#expireLease(now);
    const budget = runBudget();
    for (const { id } of this.#rows().filter((r) => r.role === 'retiring' && (r.until ?? 0) + RETIRE_SETTLE_MS <= now)) {
      const { done, deleted } = await deleteChunk(this.#sql, this.env.PROJECTIONS, id, budget);
      if (!done) break;
      this.#sql.exec("UPDATE generations SET role = 'retired' WHERE id = ?", id);
      console.log(JSON.stringify({ level: 'info', message: 'generation retired', generation: id, keysDeleted: deleted }));
    }
    // Unfinished deletions are due now (the alarm runs again at once); the rest when they fall due.
    const due = [
      ...this.#rows().filter((r) => r.role === 'retiring').map((r) => (r.until ?? now) + RETIRE_SETTLE_MS),
      this.#shadowLease()?.lease_until ?? null,
      nextSignatureExpiry(this.#sql),
    ].filter((t): t is number => t !== null);
    if (due.length > 0) await this.ctx.storage.setAlarm(Math.max(Date.now(), Math.min(...due)));
  }

  #expireLease(now: number): void {
    const lease = this.#shadowLease();
    if (!lease || lease.lease_until > now) return;
    this.#expire(lease.generation, now);
    console.warn(JSON.stringify({ level: 'warn', message: 'shadow generation expired: its rebuild stopped renewing it', generation: lease.generation, rebuild: lease.rebuild }));
  }

  /** A shadow whose lease ran out is retired, and its rebuild recorded as failed for it. */
  #expire(generation: string, now: number): void {
    const lease = this.#lease(generation);
    const reason = `its lease ran out: the bridge running it stopped renewing it (it died, or lost the edge); shadow ${generation} retired`;
    if (lease) recordFinished(this.#sql, lease.rebuild, 'failed', now, undefined, reason);
    this.#retire(generation, now);
  }

  /** Not live from `now` on; its keys go once RETIRE_SETTLE_MS has passed. */
  #retire(generation: string, now: number): void {
    this.#sql.exec("UPDATE generations SET role = 'retiring', until = ? WHERE id = ?", now, generation);
    this.#sql.exec('DELETE FROM shadow_leases WHERE generation = ?', generation);
  }

  async #renew(generation: string, leaseUntil: number, status?: ReportedRebuild): Promise<void> {
    this.#sql.exec('UPDATE shadow_leases SET lease_until = ? WHERE generation = ?', leaseUntil, generation);
    const lease = this.#lease(generation);
    if (status && lease) recordProgress(this.#sql, lease.rebuild, { ...status, generation }, Date.now());
    await this.#armAlarm(leaseUntil);
  }

  #lease(generation: string): Lease | null {
    return this.#sql.exec<Lease>('SELECT * FROM shadow_leases WHERE generation = ?', generation).toArray()[0] ?? null;
  }

  /**
   * The shadow's lease. A shadow created before leases existed has none: it is treated as leased
   * from its creation, so that one left behind then expires too.
   */
  #shadowLease(): Lease | null {
    const shadow = this.#rows().find((r) => r.role === 'shadow');
    if (!shadow) return null;
    return this.#lease(shadow.id) ?? { generation: shadow.id, rebuild: 'unknown', lease_until: shadow.created_at + LEGACY_LEASE_MS };
  }

  async #armAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }

  #rows(): Row[] {
    return this.#sql.exec<Row>('SELECT * FROM generations ORDER BY created_at').toArray();
  }
}

/** How long a shadow without a lease row (created before leases) is kept from its creation. */
const LEGACY_LEASE_MS = 10 * 60_000;
