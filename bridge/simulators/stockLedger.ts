import type { Movement, MovementRequest, StockLevel, Unstocked } from '../wms/movements';

export type StockSettings = { locations: readonly string[]; unstocked: Unstocked; defaultStock: number };
/** Why a movement was refused; a refused movement records nothing and its document may be posted again. */
export type MovementRefusal = 'unknown_location' | 'insufficient_stock' | 'not_allocated';
/** The allocation a shipment consumes, as the store knows it. */
export type ShippableAllocation = { location: string; sku: string; qty: number; shipped: boolean };
export type PlacedMovement = Exclude<MovementRequest, { type: 'shipment' }>;

const key = (location: string, sku: string) => `${location}\u0000${sku}`;

/**
 * Physical stock per (location, SKU) and the movement log, in memory and without I/O: the store
 * decides with it and saves its state. A row exists once something touched it; until then it
 * holds the unstocked default (the default stock, or nothing). Shared by the warehouse simulators:
 * the SOAP one's allocations and the SAP one's reservation items hold units alike.
 */
export class StockLedger {
  private readonly levels: Map<string, StockLevel>;
  private readonly movements: Movement[];
  private readonly documents: Map<string, Movement>;

  constructor(
    private readonly settings: StockSettings,
    levels: readonly StockLevel[],
    movements: readonly Movement[],
  ) {
    this.levels = new Map(levels.map((level) => [key(level.location, level.sku), { ...level }]));
    this.movements = [...movements];
    this.documents = new Map(movements.map((movement) => [movement.document, movement]));
  }

  get defaultLocation(): string {
    return this.settings.locations[0]!;
  }

  isKnown(location: string): boolean {
    return this.settings.locations.includes(location);
  }

  /** Takes `qty` for an allocation if the location has that much physical stock not yet allocated. */
  reserve(location: string, sku: string, qty: number): boolean {
    const level = this.level(location, sku);
    if (level.physical - level.allocated < qty) return false;
    this.touch({ ...level, allocated: level.allocated + qty });
    return true;
  }

  release(location: string, sku: string, qty: number): void {
    const level = this.level(location, sku);
    this.touch({ ...level, allocated: Math.max(0, level.allocated - qty) });
  }

  setPhysical(location: string, sku: string, physical: number): void {
    this.touch({ ...this.level(location, sku), physical });
  }

  /** Sets what allocations may still take (the admin API from before locations): physical = left + allocated. */
  setAvailable(location: string, sku: string, left: number): void {
    const level = this.level(location, sku);
    this.touch({ ...level, physical: left + level.allocated });
  }

  /** Units an allocation may still take; the admin API's view from before locations. */
  available(location: string, sku: string): number {
    const level = this.level(location, sku);
    return level.physical - level.allocated;
  }

  /** The movement already recorded under this document number, if any. */
  byDocument(document: string): Movement | undefined {
    return this.documents.get(document);
  }

  receiveOrAdjust(request: PlacedMovement, at: string): Movement | MovementRefusal {
    const location = request.location ?? this.defaultLocation;
    if (!this.isKnown(location)) return 'unknown_location';
    const level = this.level(location, request.sku);
    const delta = request.type === 'receipt' ? request.qty : request.type === 'damage' ? -request.qty : request.qty - level.physical;
    if (level.physical + delta < 0) return 'insufficient_stock';
    this.touch({ ...level, physical: level.physical + delta });
    return this.append({ document: request.document, type: request.type, location, sku: request.sku, qty: request.qty, delta, reservationId: null, at });
  }

  /** A shipment takes its allocation's units off the shelves and out of the allocated ones. */
  ship(document: string, reservationId: string, allocation: ShippableAllocation | undefined, at: string): Movement | MovementRefusal {
    if (!allocation || allocation.shipped) return 'not_allocated';
    const { location, sku, qty } = allocation;
    const level = this.level(location, sku);
    if (level.physical < qty) return 'insufficient_stock';
    this.touch({ ...level, physical: level.physical - qty, allocated: Math.max(0, level.allocated - qty), shipped: level.shipped + qty });
    return this.append({ document, type: 'shipment', location, sku, qty, delta: -qty, reservationId, at });
  }

  /** Movements with a sequence after `after`, at most `limit`, in order; sequences are 1, 2, 3, … */
  page(after: number, limit: number): { movements: Movement[]; next: number } {
    const movements = this.movements.slice(after, after + limit);
    return { movements, next: movements.at(-1)?.sequence ?? Math.min(after, this.movements.length) };
  }

  list(location?: string): StockLevel[] {
    return [...this.levels.values()].filter((level) => location === undefined || level.location === location);
  }

  get state(): { levels: StockLevel[]; movements: Movement[] } {
    return { levels: this.list(), movements: this.movements };
  }

  private level(location: string, sku: string): StockLevel {
    const initial = this.settings.unstocked === 'unlimited' ? this.settings.defaultStock : 0;
    return this.levels.get(key(location, sku)) ?? { location, sku, physical: initial, allocated: 0, shipped: 0 };
  }

  private touch(level: StockLevel): void {
    this.levels.set(key(level.location, level.sku), level);
  }

  private append(movement: Omit<Movement, 'sequence'>): Movement {
    const recorded = { sequence: this.movements.length + 1, ...movement };
    this.movements.push(recorded);
    this.documents.set(recorded.document, recorded);
    return recorded;
  }
}
