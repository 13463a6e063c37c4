import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../src/env';
import type { Outcome } from './sku/outcome';
import { acceptSignature, nextSignatureExpiry, purgeSeenSignatures } from './sku/seenSignatures';

/**
 * Read models live under a generation (`view:<generation>:<sku>` in KV). One generation is
 * active (readers use it); during a rebuild a shadow one is written too; after a switch the old
 * one keeps being written, as `retiring`, for a grace period, so a reader that still holds it
 * never sees a view go backwards. This object is the one place that says which is which.
 */
export type GenerationsView = { active: string; shadow: string | null; retiring: { generation: string; until: number }[] };

/** Every generation a live view must be written to. */
export const liveGenerations = (view: GenerationsView): string[] => [
  view.active,
  ...(view.shadow ? [view.shadow] : []),
  ...view.retiring.map((r) => r.generation),
];

type Row = { id: string; role: 'active' | 'shadow' | 'retiring' | 'retired'; created_at: number; until: number | null };

export class Generations extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS generations (
      id TEXT PRIMARY KEY,
      role TEXT NOT NULL CHECK (role IN ('active', 'shadow', 'retiring', 'retired')),
      created_at INTEGER NOT NULL,
      until INTEGER)`);
    this.#sql.exec('CREATE TABLE IF NOT EXISTS seen_signatures (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)');
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

  /** Starts a rebuild: a new shadow generation that live writes reach from now on. Idempotent while one exists. */
  createShadow(): GenerationsView {
    if (!this.current().shadow) {
      const next = `g${this.#rows().length + 1}`;
      this.#sql.exec("INSERT INTO generations VALUES (?, 'shadow', ?, NULL)", next, Date.now());
    }
    return this.current();
  }

  /** The shadow becomes active in one write; the old active is still written until `graceMs` passed. */
  async switchToShadow(graceMs: number): Promise<Outcome<GenerationsView>> {
    const { active, shadow } = this.current();
    if (!shadow) return { ok: false, error: { code: 'invalid_command', reason: 'no shadow generation to switch to' } };
    const until = Date.now() + graceMs;
    this.ctx.storage.transactionSync(() => {
      this.#sql.exec("UPDATE generations SET role = 'retiring', until = ? WHERE id = ?", until, active);
      this.#sql.exec("UPDATE generations SET role = 'active' WHERE id = ?", shadow);
    });
    await this.#armAlarm(until);
    return { ok: true, value: this.current() };
  }

  /** Remembers a signed internal call about generations; false when its signature was used before. */
  async acceptSignature(id: string, expiresAt: number): Promise<boolean> {
    const accepted = acceptSignature(this.#sql, id, expiresAt);
    if (accepted) await this.#armAlarm(expiresAt);
    return accepted;
  }

  /** Deletes the views of generations whose grace period is over, a page at a time. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    purgeSeenSignatures(this.#sql, now);
    for (const { id } of this.#rows().filter((r) => r.role === 'retiring' && (r.until ?? 0) <= now)) {
      for (let cursor: string | undefined; ; ) {
        const page = await this.env.PROJECTIONS.list({ prefix: `view:${id}:`, ...(cursor ? { cursor } : {}) });
        await Promise.all(page.keys.map((k) => this.env.PROJECTIONS.delete(k.name)));
        if (page.list_complete) break;
        cursor = page.cursor;
      }
      this.#sql.exec("UPDATE generations SET role = 'retired' WHERE id = ?", id);
    }
    const pending = this.#rows().filter((r) => r.role === 'retiring').map((r) => r.until ?? now);
    const due = [...pending, nextSignatureExpiry(this.#sql)].filter((t): t is number => t !== null);
    if (due.length > 0) await this.ctx.storage.setAlarm(Math.min(...due));
  }

  async #armAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }

  #rows(): Row[] {
    return this.#sql.exec<Row>('SELECT * FROM generations ORDER BY created_at').toArray();
  }
}
