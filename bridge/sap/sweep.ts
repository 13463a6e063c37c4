import type { OwnedWork } from '../feed/follower';
import type { WarehouseClients } from '../feed/warehouseClients';
import type { Logger } from '../logger';
import type { Warehouse } from '../warehouses';
import type { SapClient } from './client';

export type StraySweepOptions = { clients: WarehouseClients; everyMs: number; callTimeoutMs: number; logger: Logger };

/**
 * The sweep of an SAP warehouse's stray reservation documents (ADR 0017's window: a create that
 * landed after every call about its reference holds units no allocation is), one per odata
 * warehouse, run by the replica whose feed follows that warehouse (state-has-an-owner): the
 * feed starts and halts it with its own loop, so a takeover moves it.
 *
 * Each round reads only the documents numbered above the highest one a round of this process
 * read (the position, per warehouse, in memory); without one, as at a new owner, the round reads
 * all of ours. A failed round leaves the position where it was.
 */
export function straySweeps(options: StraySweepOptions): (warehouse: Warehouse, owner: { readonly active: boolean }) => OwnedWork | null {
  // Every document at or below a position was judged by some round; that holds whoever owns the warehouse since.
  const positions = new Map<string, string>();
  return (warehouse, owner) => (warehouse.kind === 'odata' ? new StraySweep(warehouse.id, owner, options, positions) : null);
}

class StraySweep implements OwnedWork {
  #halted = true;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> = Promise.resolve();

  constructor(
    private readonly warehouse: string,
    private readonly owner: { readonly active: boolean },
    private readonly options: StraySweepOptions,
    private readonly positions: Map<string, string>,
  ) {}

  /** The round in flight, if any. */
  get done(): Promise<void> {
    return this.#round;
  }

  /** Sweeps every `everyMs` from now on, while the owner is. */
  start(): void {
    if (!this.#halted) return;
    this.#halted = false;
    this.#next();
  }

  /** No round after the one in flight. */
  halt(): void {
    this.#halted = true;
    clearTimeout(this.#timer);
  }

  get #working(): boolean {
    return !this.#halted && this.owner.active;
  }

  #next(): void {
    clearTimeout(this.#timer);
    if (!this.#working) return;
    this.#timer = setTimeout(() => {
      if (this.#working) this.#round = this.#sweep().finally(() => this.#next());
    }, this.options.everyMs);
  }

  async #sweep(): Promise<void> {
    const { clients, callTimeoutMs, logger } = this.options;
    const after = this.positions.get(this.warehouse) ?? null;
    try {
      const { deleted, through } = await ((await clients(this.warehouse)) as SapClient).sweepStrays(after, callTimeoutMs * 10);
      // The highest: a round of an earlier ownership of this process may end after a later one's.
      const position = this.positions.get(this.warehouse);
      if (through !== null && (position === undefined || through > position)) this.positions.set(this.warehouse, through);
      if (deleted.length > 0) logger.warn({ warehouse: this.warehouse, deleted }, 'stray reservation documents deleted: creates that landed after their reference was settled');
    } catch (error) {
      logger.info({ err: error, warehouse: this.warehouse, after }, 'stray sweep failed; next round');
    }
  }
}
