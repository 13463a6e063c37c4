import type { Movement, MovementRequest, StockLevel } from '../../wms/movements';
import { StockLedger, type MovementRefusal, type StockSettings } from '../../simulators/stockLedger';
import { SaveQueue } from '../../simulators/saveQueue';
import type { PlantMap } from '../plants';
import { EMPTY_STATE, loadSapState, saveSapState, type ReservationDocument, type ReservationItem, type SapState } from './stateFile';

export type NewItem = { product: string; plant: string; storageLocation: string; qty: number; entryUnit: string; text: string; requirementDate: string | null };
export type NewReservation = {
  goodsMovementType: string;
  costCenter: string;
  goodsRecipientName: string;
  reservationDate: string | null;
  plant: string;
  storageLocation: string;
  items: NewItem[];
};
/** Why SAP refuses a reservation: a place it does not know, or too little unrestricted stock (M7/021). */
export type ReservationRefusal =
  | { refusal: 'unknown_place'; plant: string; storageLocation: string }
  | { refusal: 'deficit'; item: NewItem; short: number };
export type PostedMovement = { movement: Movement; replay: boolean };
export type Deletion = { document: ReservationDocument } | 'not_found';

const reservationNumber = (n: number) => String(n).padStart(10, '0');
const itemNumber = (n: number) => String(n).padStart(4, '0');

/**
 * Reservation documents and the stock they take from, over the shared stock ledger: a reservation
 * item holds its units as the SOAP warehouse's allocations do; a shipment withdraws them.
 * Decides synchronously in memory (so concurrent calls, duplicates included, are decided one after
 * the other) and answers once the state it saw is saved, when there is a state file.
 */
export class SapStore {
  private readonly reservations: Map<string, ReservationDocument>;
  /** Shipment document number → the reservation item it withdrew (material documents name it). */
  private readonly shipments = new Map<string, { reservation: string; item: string }>();
  private readonly stock: StockLedger;
  private readonly saves: SaveQueue;
  private closed = false;

  private constructor(
    private readonly plants: PlantMap,
    settings: StockSettings,
    state: SapState,
    stateFile: string | undefined,
  ) {
    this.reservations = new Map(state.reservations.map((doc) => [doc.reservation, doc]));
    for (const doc of state.reservations) for (const item of doc.items) if (item.shipment) this.shipments.set(item.shipment, { reservation: doc.reservation, item: item.item });
    this.stock = new StockLedger(settings, state.levels, state.movements);
    this.saves = new SaveQueue(async () => {
      if (stateFile) await saveSapState(stateFile, this.state);
    });
  }

  /** `stateFile` absent: memory only, forgotten at exit. */
  static async open(plants: PlantMap, settings: Omit<StockSettings, 'locations'>, stateFile?: string): Promise<SapStore> {
    const state = stateFile ? await loadSapState(stateFile) : EMPTY_STATE;
    return new SapStore(plants, { ...settings, locations: plants.locations }, state, stateFile);
  }

  /**
   * Creates a document if every item's place is known and has the units free (unrestricted
   * stock less open reservations); otherwise nothing is taken and nothing recorded.
   */
  async create(request: NewReservation, now: Date): Promise<ReservationDocument | ReservationRefusal> {
    this.assertOpen();
    const placed: Array<NewItem & { location: string }> = [];
    for (const item of request.items) {
      const location = this.plants.locationAt(item.plant, item.storageLocation);
      if (!location) return { refusal: 'unknown_place', plant: item.plant, storageLocation: item.storageLocation };
      placed.push({ ...item, location });
    }
    const taken: typeof placed = [];
    for (const item of placed) {
      if (!this.stock.reserve(item.location, item.product, item.qty)) {
        // The deficit as this item found it, the items before it counted.
        const short = item.qty - Math.max(0, this.stock.available(item.location, item.product));
        for (const back of taken) this.stock.release(back.location, back.product, back.qty);
        return { refusal: 'deficit', item, short };
      }
      taken.push(item);
    }
    const reservation = reservationNumber(this.reservations.size + 1);
    const { items: _items, ...header } = request;
    const document: ReservationDocument = {
      ...header,
      reservation,
      changedAt: this.nextChange(undefined, now),
      items: placed.map((item, i) => ({ ...item, item: itemNumber(i + 1), deleted: false, finallyIssued: false, withdrawn: 0, shipment: null })),
    };
    this.reservations.set(reservation, document);
    this.saves.changed();
    return this.durably(document);
  }

  async get(reservation: string): Promise<ReservationDocument | undefined> {
    this.assertOpen();
    return this.durably(this.reservations.get(reservation));
  }

  /** The document as it is now, without waiting for the state file: for ETags of rows just read. */
  peek(reservation: string): ReservationDocument | undefined {
    return this.reservations.get(reservation);
  }

  async list(): Promise<ReservationDocument[]> {
    this.assertOpen();
    return this.durably([...this.reservations.values()]);
  }

  /**
   * Flags every item for deletion, as SAP does, and gives back the units of those not withdrawn:
   * the document stays readable. Deleting a flagged document again changes nothing.
   */
  async delete(reservation: string, now: Date): Promise<Deletion> {
    this.assertOpen();
    const known = this.reservations.get(reservation);
    if (!known) return 'not_found';
    if (known.items.every((item) => item.deleted)) return { document: await this.durably(known) };
    for (const item of known.items) if (!item.deleted && !item.finallyIssued) this.stock.release(item.location, item.product, item.qty - item.withdrawn);
    const deleted = { ...known, changedAt: this.nextChange(known, now), items: known.items.map((item) => ({ ...item, deleted: true })) };
    this.reservations.set(reservation, deleted);
    this.saves.changed();
    return { document: await this.durably(deleted) };
  }

  /**
   * Records a movement once per document number (the same number again: the first result). A
   * shipment names our reservation reference: it withdraws the open item carrying that text.
   */
  async postMovement(request: MovementRequest, now: Date): Promise<PostedMovement | MovementRefusal> {
    this.assertOpen();
    const first = this.stock.byDocument(request.document);
    if (first) return { movement: await this.durably(first), replay: true };
    const at = now.toISOString();
    const outcome = request.type === 'shipment' ? this.ship(request.document, request.reservationId, now) : this.stock.receiveOrAdjust(request, at);
    if (typeof outcome === 'string') return outcome;
    this.saves.changed();
    return { movement: await this.durably(outcome), replay: false };
  }

  /** The reservation item a shipment withdrew, to name it on the material document. */
  shipmentOf(document: string): { reservation: string; item: string } | undefined {
    return this.shipments.get(document);
  }

  /** Sets the physical stock at a location (opening balances; not a movement). */
  async setPhysical(location: string, sku: string, physical: number): Promise<StockLevel | 'unknown_location'> {
    this.assertOpen();
    if (!this.stock.isKnown(location)) return 'unknown_location';
    this.stock.setPhysical(location, sku, physical);
    this.saves.changed();
    await this.saves.flush();
    return this.stock.list(location).find((level) => level.sku === sku)!;
  }

  async levels(location?: string): Promise<StockLevel[]> {
    this.assertOpen();
    return this.durably(this.stock.list(location));
  }

  async movements(): Promise<Movement[]> {
    this.assertOpen();
    return this.durably(this.stock.page(0, Number.MAX_SAFE_INTEGER).movements);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.saves.drain();
  }

  private ship(document: string, text: string, now: Date): Movement | MovementRefusal {
    const found = this.openItem(text);
    const allocation = found && { location: found.item.location, sku: found.item.product, qty: found.item.qty, shipped: false };
    const movement = this.stock.ship(document, text, allocation, now.toISOString());
    if (typeof movement === 'string' || !found) return movement;
    const { doc, item } = found;
    const items = doc.items.map((i) => (i.item === item.item ? { ...i, finallyIssued: true, withdrawn: i.qty, shipment: document } : i));
    this.reservations.set(doc.reservation, { ...doc, changedAt: this.nextChange(doc, now), items });
    this.shipments.set(document, { reservation: doc.reservation, item: item.item });
    return movement;
  }

  /** The newest item with this text that is neither flagged for deletion nor withdrawn. */
  private openItem(text: string): { doc: ReservationDocument; item: ReservationItem } | undefined {
    for (const doc of [...this.reservations.values()].reverse()) {
      const item = doc.items.find((i) => i.text === text && !i.deleted && !i.finallyIssued);
      if (item) return { doc, item };
    }
    return undefined;
  }

  /** Strictly later than the document's last change, so every change gives a new ETag. */
  private nextChange(known: ReservationDocument | undefined, now: Date): string {
    const last = known ? Date.parse(known.changedAt) : -Infinity;
    return new Date(Math.max(now.getTime(), last + 1)).toISOString();
  }

  private get state(): SapState {
    return { ...this.stock.state, reservations: [...this.reservations.values()] };
  }

  private async durably<T>(value: T): Promise<T> {
    await this.saves.flush();
    return value;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the SAP simulator store is closed');
  }
}
