import type { PushResult, RelaySettings, RelayTarget } from './push';
import { recordRelayed, recordRelayFailure, relayBackoffMs, relayDueAt, relayStatus, type RelayStatus } from './state';

/**
 * The transactional outbox of an object's log (a SKU's, a checkout's) and its relay to the bridge.
 * Every event gets an `outbox` row in the transaction that appends it; the alarm pushes the oldest
 * rows in batches and deletes them once a bridge acknowledged them, so a commit interleaving with
 * a push loses nothing. Tables: `outbox` and `relay_state`, created by each object's migrations.
 */

/** Pushes per alarm run; a longer backlog continues in the next run, so the object's other work is never starved. */
export const RELAY_BATCHES_PER_RUN = 20;

/** The outbox row of an appended event. Runs inside the transaction that appends it. */
export function enqueue(sql: SqlStorage, version: number, now: number): void {
  sql.exec('INSERT INTO outbox (version, enqueued_at) VALUES (?, ?)', version, now);
}

/** Sends the oldest pending events (one batch, read from storage when called) to `target`. */
export type PushPending = (target: RelayTarget) => Promise<PushResult>;

/** What a failed push logs: the object's name (`{ sku }`, `{ checkout }`) and the message operators know. */
export type RelayLog = { fields: Record<string, string>; message: string; withStatus?: boolean };

export class OutboxRelay {
  readonly #sql: SqlStorage;
  readonly #settings: RelaySettings;
  readonly #random: () => number;

  /** `random` jitters the backoff; tests pass their own. */
  constructor(sql: SqlStorage, settings: RelaySettings, random: () => number = Math.random) {
    this.#sql = sql;
    this.#settings = settings;
    this.#random = random;
  }

  /** How far the push got: relay lag as the object sees it. */
  status(): RelayStatus {
    return relayStatus(this.#sql);
  }

  /** When the next push is due; never without a bridge to push to. */
  dueAt(now: number): number | null {
    return this.#settings.target ? relayDueAt(this.#sql, now) : null;
  }

  /**
   * Pushes batches while one is due, at most RELAY_BATCHES_PER_RUN; stops at the first failure,
   * which sets the backoff. What is left is due at once, so the next alarm run continues it.
   */
  async run(push: PushPending, log: RelayLog): Promise<void> {
    const target = this.#settings.target;
    if (!target) return;
    for (let i = 0; i < RELAY_BATCHES_PER_RUN; i++) {
      const due = relayDueAt(this.#sql, Date.now());
      if (due === null || due > Date.now()) return;
      const result = await push(target);
      if (!result.ok) {
        recordRelayFailure(this.#sql, result.error, Date.now(), (n) => relayBackoffMs(n, this.#settings.maxBackoffMs, this.#random()));
        const status = log.withStatus ? this.status() : {};
        console.warn(JSON.stringify({ level: 'warn', ...log.fields, message: log.message, error: result.error, ...status }));
        return;
      }
      recordRelayed(this.#sql, result.acked, Date.now());
    }
  }
}
