import { EdgeAnswerError } from '../edge/client';
import { OwnershipLostError } from '../eventLog/errors';
import type { PartitionOwner } from '../eventLog/port';
import { FEED_STATE_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import type { MovementsPage } from '../wms/client';
import type { Warehouse } from '../warehouses';
import { advance, commandOf, cursorKey, outOfOrder, type FeedCursor } from './cursor';
import type { MovementCommand } from './edgeMovements';
import type { FeedOptions, OwnedWork } from './options';
import type { FeedError, FeedState, FeedStep, Following } from './status';
import { latestSequence } from './warehouseClients';

/** One warehouse followed by this replica, for as long as it owns the warehouse's partition. */
export class WarehouseFeed {
  readonly partition: number;
  done: Promise<void>;
  #cursor: FeedCursor;
  #committed: number;
  #latest: number | null = null;
  #state: FeedState = 'stopped';
  #error: FeedError | null = null;
  readonly #handled = { applied: 0, duplicate: 0, shipment: 0 };
  #halted = true;
  #wake: (() => void) | null = null;
  readonly #logger: Logger;
  readonly #work: OwnedWork | null;

  constructor(
    readonly warehouse: Warehouse,
    private readonly owner: PartitionOwner,
    cursor: FeedCursor,
    private readonly options: FeedOptions,
    previous: Promise<void>,
  ) {
    this.partition = owner.partition;
    this.#cursor = cursor;
    this.#committed = cursor.sequence;
    this.done = previous;
    this.#logger = options.logger.child({ warehouse: warehouse.id });
    this.#work = options.ownedWork?.(warehouse, owner) ?? null;
  }

  /** The loop and the owned work, both ended. */
  get finished(): Promise<void> {
    return Promise.all([this.done, this.#work?.done]).then(() => undefined);
  }

  status(): Following {
    return {
      warehouse: this.warehouse.id,
      partition: this.partition,
      state: this.#state,
      cursor: this.#cursor,
      committed: this.#committed,
      latest: this.#latest,
      lastError: this.#error,
      handled: { ...this.#handled },
    };
  }

  /** Starts following (again, after a suspension), once any earlier loop is over. */
  start(): void {
    if (!this.#halted) return;
    this.#halted = false;
    this.#work?.start();
    this.done = this.done.then(() => this.#run()).catch((error: unknown) => this.#logger.error({ err: error }, 'warehouse feed loop failed'));
  }

  /** Stops after the call in flight; what the edge answered for is still committed. */
  halt(): void {
    this.#halted = true;
    this.#work?.halt();
    this.#wake?.();
  }

  get #working(): boolean {
    return !this.#halted && this.owner.active;
  }

  async #run(): Promise<void> {
    this.#logger.info({ cursor: this.#cursor.sequence, partition: this.partition }, 'following the warehouse’s movements');
    this.#state = 'following';
    for (let failures = 0; this.#working; ) {
      const page = await this.#read();
      if (!page) {
        await this.#pause(++failures);
        continue;
      }
      failures = 0;
      if (page.movement.length === 0) {
        this.#latest = Math.max(this.#latest ?? 0, page.next);
        this.#set('caught_up');
        await this.#commit();
        await this.#sleep(this.options.pollMs);
        continue;
      }
      const disorder = outOfOrder(this.#cursor, page.movement);
      if (disorder) {
        this.#fail('warehouse', new Error(disorder), 'stalled');
        await this.#pause(Number.MAX_SAFE_INTEGER);
        continue;
      }
      this.#latest = Math.max(this.#latest ?? 0, page.movement.at(-1)!.sequence);
      // A full page: more may wait; the lag shown counts them.
      if (page.movement.length === this.options.pageSize) void this.#probeLatest();
      this.#set('following');
      for (const movement of page.movement) {
        const command = commandOf(this.warehouse.id, movement);
        if (command && !(await this.#deliver(movement.sku, command))) break;
        if (!command) this.#count('shipment');
        this.#cursor = advance(this.#cursor, movement);
      }
      await this.#commit();
    }
    // Suspended or halted: what was applied is committed while the partition is still ours.
    await this.#commit();
    this.#set('stopped');
  }

  async #read(): Promise<MovementsPage | null> {
    try {
      const client = await this.options.clients(this.warehouse.id);
      return await client.movements(this.#cursor.sequence, this.options.pageSize, this.options.callTimeoutMs);
    } catch (error) {
      this.#fail('warehouse', error, 'backing_off');
      return null;
    }
  }

  async #probeLatest(): Promise<void> {
    try {
      const latest = await latestSequence(await this.options.clients(this.warehouse.id), this.options.callTimeoutMs);
      this.#latest = Math.max(this.#latest ?? 0, latest);
    } catch {
      // The lag stays a lower bound until the next probe; the reads report the warehouse's faults.
    }
  }

  /**
   * Applies one movement at the edge, retrying until it answers (false: halted first). Never
   * skipped: a refusal (4xx, a sharded SKU say) holds the feed up, retried slowly, until fixed.
   */
  async #deliver(sku: string, command: MovementCommand): Promise<boolean> {
    for (let attempt = 1; this.#working; attempt++) {
      try {
        const result = await this.options.edge.movement(sku, command);
        this.#count(result.applied ? 'applied' : 'duplicate');
        if (result.shortfall) this.#logger.warn({ sku, document: command.document, location: command.location, shortfall: result.shortfall }, 'a warehouse movement left a location short: reservations re-sourced or released');
        this.#error = null;
        return true;
      } catch (error) {
        const refused = error instanceof EdgeAnswerError && error.status >= 400 && error.status < 500 && error.status !== 429 && error.status !== 401;
        this.#fail('edge', error, refused ? 'stalled' : 'backing_off', { sku, document: command.document, sequence: command.sequence });
        await this.#pause(refused ? Number.MAX_SAFE_INTEGER : attempt);
      }
    }
    return false;
  }

  /** Commits the cursor if it moved; a stale owner is refused (OwnershipLostError) and stops. */
  async #commit(): Promise<void> {
    if (this.#cursor.sequence === this.#committed) return;
    const cursor = { ...this.#cursor, committedAt: Date.now() };
    try {
      await this.owner.commit([{ topic: FEED_STATE_TOPIC, key: cursorKey(this.warehouse.id), value: JSON.stringify(cursor) }]);
      this.#cursor = cursor;
      this.#committed = cursor.sequence;
    } catch (error) {
      if (error instanceof OwnershipLostError) {
        this.#logger.warn({ cursor: cursor.sequence, committed: this.#committed }, 'feed cursor not committed: the partition is owned elsewhere now; the new owner resumes from the last committed cursor');
        this.halt();
        return;
      }
      // Kept in memory; the next commit carries it (movements are not read again meanwhile).
      this.#fail('log', error, this.#state);
    }
  }

  #count(outcome: 'applied' | 'duplicate' | 'shipment'): void {
    this.#handled[outcome]++;
    this.options.metrics.feedMovements.inc({ warehouse: this.warehouse.id, outcome });
  }

  #set(state: FeedState): void {
    if (state !== 'backing_off' && state !== 'stalled') this.#error = null;
    this.#state = state;
  }

  /** Records a failed step: logged at its first occurrence, every tenth, and when its message changes. */
  #fail(step: FeedStep, error: unknown, state: FeedState, context: Record<string, unknown> = {}): void {
    const message = error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error);
    const same = this.#error?.step === step && this.#error.message === message;
    const attempts = same ? this.#error!.attempts + 1 : 1;
    this.#error = { step, message, at: Date.now(), attempts };
    this.#state = state;
    this.options.metrics.feedFailures.inc({ warehouse: this.warehouse.id, step });
    if (attempts === 1 || attempts % 10 === 0) {
      const level = state === 'stalled' ? 'error' : 'warn';
      this.#logger[level]({ step, attempts, cursor: this.#cursor.sequence, ...context, error: message }, `warehouse feed ${state === 'stalled' ? 'stalled' : 'backing off'}: nothing is skipped, retrying`);
    }
  }

  /** The pause before retry `attempt` (1: the first); MAX_SAFE_INTEGER: the longest. */
  #pause(attempt: number): Promise<void> {
    const first = this.options.backoffFirstMs ?? 200;
    const max = this.options.backoffMaxMs ?? 10_000;
    return this.#sleep(Math.min(max, first * 2 ** Math.min(attempt - 1, 20)));
  }

  /** Waits, or less if halted meanwhile. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}
