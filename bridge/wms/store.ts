import { randomBytes } from 'node:crypto';
import { OUT_OF_STOCK, type WmsRecord } from './records';
import { loadState, saveState, type State } from './stateFile';

export type AllocateRequest = { reservationId: string; sku: string; qty: number };
export type StockLevels = { defaultStock: number; skus: Record<string, number> };

/**
 * The warehouse's rules, idempotent by reservationId, over state kept on disk.
 *
 * Every operation decides and changes the state in memory synchronously (so concurrent calls,
 * duplicates included, are decided one after the other) and answers only once the state it saw
 * is on disk: a reply never tells of something a crash could still undo.
 */
export class WmsStore {
  private readonly records: Map<string, WmsRecord>;
  private readonly stock: Map<string, number>;
  /** Changes made in memory, and how many of them the file holds. */
  private changes = 0;
  private saved = 0;
  /** The last queued save; saves run one at a time. */
  private saving: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly defaultStock: number,
    state: State,
  ) {
    this.records = new Map(state.records.map((record) => [record.reservationId, record]));
    this.stock = new Map(Object.entries(state.stock));
  }

  static async open(dir: string, defaultStock: number): Promise<WmsStore> {
    return new WmsStore(dir, defaultStock, await loadState(dir));
  }

  /**
   * The first call for a reservationId decides; every later one gets the recorded outcome, so a
   * retry never allocates twice, and a reservation cancelled first (a tombstone) stays cancelled.
   */
  async allocate({ reservationId, sku, qty }: AllocateRequest): Promise<WmsRecord> {
    this.assertOpen();
    const known = this.records.get(reservationId);
    if (known) return this.durably(known);
    const left = this.unitsOf(sku);
    const allocated = left >= qty;
    if (allocated) this.stock.set(sku, left - qty);
    return this.durably(
      this.put({
        reservationId,
        sku,
        qty,
        status: allocated ? 'allocated' : 'rejected',
        allocationId: allocated ? `alloc_${randomBytes(12).toString('base64url')}` : null,
        reason: allocated ? null : OUT_OF_STOCK,
      }),
    );
  }

  /** Returns an allocation's units; cancels a refused one; leaves a tombstone for one never seen. */
  async cancel(reservationId: string): Promise<WmsRecord> {
    this.assertOpen();
    const known = this.records.get(reservationId);
    if (known?.status === 'cancelled') return this.durably(known);
    if (known?.status === 'allocated') this.stock.set(known.sku, this.unitsOf(known.sku) + known.qty);
    const cancelled = known
      ? { ...known, status: 'cancelled' as const }
      : { reservationId, sku: '', qty: 0, status: 'cancelled' as const, allocationId: null, reason: null };
    return this.durably(this.put(cancelled));
  }

  async get(reservationId: string): Promise<WmsRecord | undefined> {
    this.assertOpen();
    const record = this.records.get(reservationId);
    await this.flush();
    return record;
  }

  async list(): Promise<WmsRecord[]> {
    this.assertOpen();
    const records = [...this.records.values()];
    await this.flush();
    return records;
  }

  /** Sets the units left of a SKU (what allocations take from and cancellations give back to). */
  async setStock(sku: string, qty: number): Promise<void> {
    this.assertOpen();
    this.stock.set(sku, qty);
    this.changes += 1;
    await this.flush();
  }

  stockLevels(): StockLevels {
    return { defaultStock: this.defaultStock, skus: Object.fromEntries(this.stock) };
  }

  /** Refuses further changes and waits for the saves already queued. */
  async close(): Promise<void> {
    this.closed = true;
    await this.saving;
  }

  private unitsOf(sku: string): number {
    return this.stock.get(sku) ?? this.defaultStock;
  }

  private put(record: Omit<WmsRecord, 'updatedAt'>): WmsRecord {
    const stored = { ...record, updatedAt: new Date().toISOString() };
    this.records.set(stored.reservationId, stored);
    this.changes += 1;
    return stored;
  }

  private async durably(record: WmsRecord): Promise<WmsRecord> {
    await this.flush();
    return record;
  }

  /** Resolves once every change made so far is on disk; one save covers all the changes before it. */
  private flush(): Promise<void> {
    const target = this.changes;
    const save = this.saving.then(async () => {
      if (this.saved >= target) return;
      const covering = this.changes;
      await saveState(this.dir, { stock: Object.fromEntries(this.stock), records: [...this.records.values()] });
      this.saved = covering;
    });
    // A failed save fails the calls waiting for it; the next change tries again with the whole state.
    this.saving = save.catch(() => undefined);
    return save;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the warehouse store is closed');
  }
}
