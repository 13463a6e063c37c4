import { randomBytes } from 'node:crypto';
import type { Movement, MovementRequest, StockLevel } from './movements';
import { OUT_OF_STOCK, type WmsRecord } from './records';
import { SaveQueue } from '../simulators/saveQueue';
import { loadState, saveState, type State, type StoredRecord } from './stateFile';
import { StockLedger, type MovementRefusal, type StockSettings } from '../simulators/stockLedger';

export type AllocateRequest = { reservationId: string; sku: string; qty: number; location?: string | undefined };
export type StockLevels = { defaultStock: number; skus: Record<string, number> };
export type PostedMovement = { movement: Movement; replay: boolean };
/** A warehouse record with where it was allocated and the shipment that consumed it. */
export type KeptRecord = WmsRecord & { location: string; shipment: string | null };
/** `next`: the last reservationId of the page, to pass back as `after`; absent on the last page. */
export type AllocationsPage = { records: KeptRecord[]; next?: string };

/**
 * The warehouse's rules, idempotent by reservationId (allocations) and by document number
 * (movements), over state kept on disk.
 *
 * Every operation decides and changes the state in memory synchronously (so concurrent calls,
 * duplicates included, are decided one after the other) and answers only once the state it saw
 * is on disk: a reply never tells of something a crash could still undo.
 */
export class WmsStore {
  private readonly records: Map<string, KeptRecord>;
  /**
   * Reservation ids in the order first recorded, and each one's place: records are never removed,
   * so a page cursor keeps its place, and a record added while a caller pages lands after it.
   */
  private readonly order: string[];
  private readonly places = new Map<string, number>();
  private readonly stock: StockLedger;
  private readonly saves: SaveQueue;
  private closed = false;

  private constructor(
    dir: string,
    private readonly settings: StockSettings,
    state: State,
  ) {
    const home = settings.locations[0]!;
    this.records = new Map(state.records.map((record: StoredRecord) => [record.reservationId, { ...record, location: record.location ?? home }]));
    // The file keeps the records in the Map's order: the order first recorded.
    this.order = [...this.records.keys()];
    this.order.forEach((reservationId, place) => this.places.set(reservationId, place));
    const levels = state.levels.length > 0 ? state.levels : levelsBeforeLocations(home, state.stock ?? {}, this.records.values());
    this.stock = new StockLedger(settings, levels, state.movements);
    this.saves = new SaveQueue(() => saveState(dir, { ...this.stock.state, records: [...this.records.values()] }));
  }

  static async open(dir: string, settings: StockSettings): Promise<WmsStore> {
    return new WmsStore(dir, settings, await loadState(dir));
  }

  /**
   * The first call for a reservationId decides; every later one gets the recorded outcome, so a
   * retry never allocates twice, and a reservation cancelled first (a tombstone) stays cancelled.
   * An allocation takes from its location (the default one if it names none).
   */
  async allocate({ reservationId, sku, qty, location = this.stock.defaultLocation }: AllocateRequest): Promise<KeptRecord | 'unknown_location'> {
    this.assertOpen();
    const known = this.records.get(reservationId);
    if (known) return this.durably(known);
    if (!this.stock.isKnown(location)) return 'unknown_location';
    const allocated = this.stock.reserve(location, sku, qty);
    return this.durably(
      this.put({
        reservationId,
        sku,
        qty,
        status: allocated ? 'allocated' : 'rejected',
        allocationId: allocated ? `alloc_${randomBytes(12).toString('base64url')}` : null,
        reason: allocated ? null : OUT_OF_STOCK,
        location,
        shipment: null,
      }),
    );
  }

  /**
   * Returns an allocation's units; cancels a refused one; leaves a tombstone for one never seen.
   * A shipped allocation's units have left the building: its cancel returns nothing.
   */
  async cancel(reservationId: string): Promise<KeptRecord> {
    this.assertOpen();
    const known = this.records.get(reservationId);
    if (known?.status === 'cancelled') return this.durably(known);
    if (known?.status === 'allocated' && known.shipment === null) this.stock.release(known.location, known.sku, known.qty);
    const cancelled = known
      ? { ...known, status: 'cancelled' as const }
      : { reservationId, sku: '', qty: 0, status: 'cancelled' as const, allocationId: null, reason: null, location: this.stock.defaultLocation, shipment: null };
    return this.durably(this.put(cancelled));
  }

  async get(reservationId: string): Promise<KeptRecord | undefined> {
    this.assertOpen();
    const record = this.records.get(reservationId);
    await this.flush();
    return record;
  }

  /** At most `limit` records after the reservation `after` (absent: from the first), in the order first recorded. */
  async page(after: string | undefined, limit: number): Promise<AllocationsPage | 'unknown_cursor'> {
    this.assertOpen();
    const place = after === undefined ? -1 : this.places.get(after);
    if (place === undefined) return 'unknown_cursor';
    const ids = this.order.slice(place + 1, place + 1 + limit);
    const records = ids.map((reservationId) => this.records.get(reservationId)!);
    const more = place + 1 + limit < this.order.length;
    await this.flush();
    return more ? { records, next: ids.at(-1)! } : { records };
  }

  /**
   * Records a movement once per document number: the same document again gets the first result
   * and moves nothing. A shipment consumes its allocation, which stays `allocated` on its record.
   */
  async postMovement(request: MovementRequest, at: string): Promise<PostedMovement | MovementRefusal> {
    this.assertOpen();
    const first = this.stock.byDocument(request.document);
    if (first) return { movement: await this.durably(first), replay: true };
    const outcome = request.type === 'shipment' ? this.ship(request.document, request.reservationId, at) : this.stock.receiveOrAdjust(request, at);
    if (typeof outcome === 'string') return outcome;
    this.saves.changed();
    return { movement: await this.durably(outcome), replay: false };
  }

  /** Sets the physical stock of a SKU at a location (opening balances; not a movement). */
  async setPhysical(location: string, sku: string, physical: number): Promise<'unknown_location' | StockLevel> {
    this.assertOpen();
    if (!this.stock.isKnown(location)) return 'unknown_location';
    this.stock.setPhysical(location, sku, physical);
    this.saves.changed();
    await this.flush();
    return this.stock.list(location).find((level) => level.sku === sku)!;
  }

  /** Sets the units left of a SKU at the default location (what allocations take from and cancellations give back to). */
  async setStock(sku: string, qty: number): Promise<void> {
    this.assertOpen();
    this.stock.setAvailable(this.stock.defaultLocation, sku, qty);
    this.saves.changed();
    await this.flush();
  }

  /** Units left at the default location, per SKU touched or set: the view from before locations. */
  stockLevels(): StockLevels {
    const home = this.stock.defaultLocation;
    const skus = Object.fromEntries(this.stock.list(home).map(({ sku }) => [sku, this.stock.available(home, sku)]));
    return { defaultStock: this.settings.defaultStock, skus };
  }

  async levels(location?: string): Promise<StockLevel[]> {
    this.assertOpen();
    const levels = this.stock.list(location);
    await this.flush();
    return levels;
  }

  async movements(after: number, limit: number): Promise<{ movements: Movement[]; next: number }> {
    this.assertOpen();
    const page = this.stock.page(after, limit);
    await this.flush();
    return page;
  }

  /** Refuses further changes and waits for the saves already queued. */
  async close(): Promise<void> {
    this.closed = true;
    await this.saves.drain();
  }

  private ship(document: string, reservationId: string, at: string): Movement | MovementRefusal {
    const record = this.records.get(reservationId);
    const allocation = record?.status === 'allocated' ? { ...record, shipped: record.shipment !== null } : undefined;
    const movement = this.stock.ship(document, reservationId, allocation, at);
    if (typeof movement !== 'string') this.put({ ...record!, shipment: document });
    return movement;
  }

  private put(record: Omit<KeptRecord, 'updatedAt'>): KeptRecord {
    const stored = { ...record, updatedAt: new Date().toISOString() };
    if (!this.places.has(stored.reservationId)) this.places.set(stored.reservationId, this.order.push(stored.reservationId) - 1);
    this.records.set(stored.reservationId, stored);
    this.saves.changed();
    return stored;
  }

  private async durably<T>(value: T): Promise<T> {
    await this.flush();
    return value;
  }

  private flush(): Promise<void> {
    return this.saves.flush();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the warehouse store is closed');
  }
}

/**
 * A file from before locations kept units left per SKU, allocations already taken off: they become
 * the home location's, with the allocations (every allocating call set its SKU's units) added back.
 */
function levelsBeforeLocations(home: string, left: Record<string, number>, records: Iterable<KeptRecord>): StockLevel[] {
  const allocated = new Map<string, number>();
  for (const { status, sku, qty } of records) if (status === 'allocated') allocated.set(sku, (allocated.get(sku) ?? 0) + qty);
  return Object.entries(left).map(([sku, units]) => ({ location: home, sku, physical: units + (allocated.get(sku) ?? 0), allocated: allocated.get(sku) ?? 0, shipped: 0 }));
}
