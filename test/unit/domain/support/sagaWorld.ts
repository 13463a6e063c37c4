import fc from 'fast-check';
import { expect } from 'vitest';
import { decideSaga, type AllocationSaga, type SagaCommand, type SagaMessage, type SagaPolicy, type WmsAnswer } from '../../../../src/domain/allocation';
import type { ReleaseReason } from '../../../../src/domain/sku';

/**
 * The world the saga's model checks run in: a WMS and a SKU object that behave like the real ones
 * (idempotent by reference, released is terminal), and the trouble between them: calls that time
 * out before or after taking effect, faults, late applications, duplicate events, buyer cancels and
 * expiry at any moment, re-sourcings to another location (ADR 0015).
 */
const POLICY: SagaPolicy = { callTimeoutMs: 500, deadlineMs: 8_000, retryBaseMs: 100, retryMaxMs: 1_000, lateAllocateMs: 0 };
/** The policy of a world with the SOAP warehouse. */
export { POLICY as policy };
export const RES = 'res_m';

type WmsRecord = { status: 'allocated' | 'rejected' | 'cancelled'; allocationId: string | null; location: string };
/** `resourcings`: the row's count of re-sourcings; `version`: the last event's in the SKU's log. */
type Sku = { released: ReleaseReason | null; allocationId: string | null; completed: boolean; refundDue: boolean; location: string; resourcings: number; version: number };
const LOCATIONS = ['A', 'B', 'C'];

/**
 * The kind of warehouse: the SOAP one keeps a record per reference (a cancel of an unknown one leaves
 * a tombstone, a refusal is remembered), SAP keeps neither (ADR 0017); there an operation that took
 * effect late lands within `lateWithinMs` of being sent, the bound the saga's `lateAllocateMs` assumes.
 */
export type WmsKind = { tombstones: true } | { tombstones: false; lateWithinMs: number };
const SOAP: WmsKind = { tombstones: true };

export class World {
  /** The WMS's records by reference (idempotent by it; a cancel leaves a tombstone). */
  records = new Map<string, WmsRecord>();
  /** Units free per location. */
  wmsStock: Map<string, number>;
  sku: Sku;
  saga: AllocationSaga | null = null;
  now = 0;
  /**
   * What is on its way to the saga: the SKU's events in log order, and the executor's replies in
   * whatever order the calls end (the two channels interleave freely: a buyer's cancel can be
   * consumed before the reply to a confirmation that preceded it).
   */
  events: SagaMessage[] = [];
  replies: SagaMessage[] = [];
  /** WMS operations that take effect late (the caller had already given up), and when each was sent. */
  late: { sentAt: number; land: () => void }[] = [];
  allocations = 0;
  wmsDownUntil = 0;

  /** `location`: where the SKU object sourced the reservation (`default`: the warehouse's first site, A). */
  constructor(stock: number, location = 'default', readonly kind: WmsKind = SOAP, readonly policy: SagaPolicy = { ...POLICY, lateAllocateMs: kind.tombstones ? 0 : kind.lateWithinMs }) {
    this.wmsStock = new Map(LOCATIONS.map((l) => [l, stock]));
    this.sku = { released: null, allocationId: null, completed: false, refundDue: false, location, resourcings: 0, version: 3 };
  }

  /** The allocations the WMS holds, wherever and under whatever reference. */
  held(): WmsRecord[] {
    return [...this.records.values()].filter((r) => r.status === 'allocated');
  }

  /** Commands the saga issued, in order, checked against invariant no-sale-undone-by-our-outage as they go out. */
  issued: SagaCommand[] = [];
  firstAllocateAt: number | null = null;

  feed(message: SagaMessage) {
    const knewCompleted = this.saga?.completed === true;
    const { policy } = this;
    const { saga, commands } = decideSaga(this.saga, message, policy, this.now);
    for (const command of commands) {
      if (command.type === 'Allocate') this.firstAllocateAt ??= this.now;
      // The WMS is asked to allocate before anything is concluded from its silence, and the
      // deadline counts from that first attempt, not from the reservation's time.
      if (command.type === 'GetAllocation') expect(this.now).toBeGreaterThanOrEqual((this.firstAllocateAt ?? Infinity) + policy.deadlineMs);
      // A purchase the saga knows is completed is never offered for a wms_timeout release; only
      // asked to move to a location it has not tried (`tried`: the object keeps it where none can take it).
      if (command.type === 'Release' && command.reason === 'wms_timeout' && command.tried === undefined) expect(knewCompleted).toBe(false);
    }
    this.issued.push(...commands);
    this.saga = saga;
    return commands;
  }

  wmsGet(reference: string): WmsAnswer {
    const record = this.records.get(reference);
    if (!record) return { status: 'not_found' };
    return record.status === 'allocated' ? { status: 'allocated', allocationId: record.allocationId! } : record.status === 'rejected' ? { status: 'rejected', reason: 'out_of_stock' } : { status: 'cancelled' };
  }

  /** An AllocateStock naming no location takes from the warehouse's default (the first). */
  wmsAllocate(reference: string, qty: number, location = 'A'): WmsAnswer {
    if (this.records.has(reference)) return this.wmsGet(reference);
    if (this.wmsStock.get(location)! < qty) {
      if (this.kind.tombstones) this.records.set(reference, { status: 'rejected', allocationId: null, location });
      return { status: 'rejected', reason: 'out_of_stock' };
    }
    this.wmsStock.set(location, this.wmsStock.get(location)! - qty);
    this.allocations++;
    this.records.set(reference, { status: 'allocated', allocationId: `alloc_${this.allocations}`, location });
    return this.wmsGet(reference);
  }

  wmsCancel(reference: string, qty: number) {
    const record = this.records.get(reference);
    // SAP flags a document for deletion; it has none to flag for a reference it never saw.
    if (!record && !this.kind.tombstones) return;
    if (record?.status === 'allocated') this.wmsStock.set(record.location, this.wmsStock.get(record.location)! + qty);
    this.records.set(reference, { status: 'cancelled', allocationId: record?.allocationId ?? null, location: record?.location ?? 'A' });
  }

  /** The SKU object re-sources the reservation (a count below what its location committed): the allocation there is the saga's to redo. */
  skuResource(to: string) {
    if (this.sku.released || to === this.sku.location) return;
    this.events.push({ type: 'Resourced', from: this.sku.location, to, completed: this.sku.completed, version: ++this.sku.version });
    this.sku.location = to;
    this.sku.resourcings++;
    this.sku.allocationId = null;
  }

  /** The SKU object's rules for a release (src/domain/sku/decide.ts), as the saga and the buyer see them. */
  skuRelease(reason: ReleaseReason): 'released' | 'allocated' | 'completed' {
    if (this.sku.released) return 'released';
    if (this.sku.allocationId && (reason === 'wms_timeout' || reason === 'wms_rejected')) return 'allocated';
    // Only the WMS refusing it (or an operator) undoes a sale; the buyer cannot cancel it, nor can it lapse.
    if (this.sku.completed && reason !== 'wms_rejected' && reason !== 'admin') return 'completed';
    this.sku.released = reason;
    this.sku.refundDue = this.sku.completed;
    this.events.push({ type: 'Released', reason });
    return 'released';
  }

  /** A verdict about a location the reservation left, or decided before its latest re-sourcing (back at the same location, A→B→A). */
  skuStale(verdict: { location?: string; resourcings?: number }): boolean {
    const elsewhere = verdict.location !== undefined && verdict.location !== this.sku.location;
    return elsewhere || (verdict.resourcings !== undefined && verdict.resourcings < this.sku.resourcings);
  }

  skuComplete() {
    if (this.sku.released || this.sku.completed) return;
    this.sku.completed = true;
    this.events.push({ type: 'Completed' });
  }
}

export type Trouble = 'ok' | 'timeoutBefore' | 'timeoutAfter' | 'fault' | 'late';

export function execute(world: World, command: SagaCommand, trouble: Trouble): void {
  const reference = 'reference' in command ? { reference: command.reference } : {};
  const fail = (error: string) => world.replies.push({ type: 'CallFailed', command: command.type, error, ...reference });
  const isWms = command.type === 'Allocate' || command.type === 'GetAllocation' || command.type === 'Cancel';
  // An outage of the WMS: nothing reaches it, every call times out.
  if (isWms && world.now < world.wmsDownUntil) {
    fail('timeout');
    return;
  }
  const effect = (): SagaMessage => {
    switch (command.type) {
      case 'Allocate':
        return { type: 'WmsAnswered', answer: world.wmsAllocate(command.reference, command.qty, command.location), reference: command.reference };
      case 'GetAllocation':
        return { type: 'WmsAnswered', answer: world.wmsGet(command.reference), reference: command.reference };
      case 'Cancel':
        world.wmsCancel(command.reference, 2);
        return { type: 'CancelAnswered', reference: command.reference, sentAt: world.now };
      case 'Confirm': {
        const { allocationId } = command;
        if (world.sku.released) return { type: 'ConfirmAnswered', outcome: 'released', reason: world.sku.released, allocationId };
        // A stale verdict (another location, or fewer re-sourcings read) is refused (invalid_command: the executor's CallFailed).
        if (world.skuStale(command)) return { type: 'CallFailed', command: 'Confirm', error: 'invalid_command' };
        if (world.sku.allocationId && world.sku.allocationId !== allocationId) return { type: 'ConfirmAnswered', outcome: 'conflict', allocationId };
        if (!world.sku.allocationId) {
          world.sku.allocationId = allocationId;
          world.events.push({ type: 'AllocationConfirmed', allocationId });
        }
        return { type: 'ConfirmAnswered', outcome: 'confirmed', allocationId };
      }
      case 'Release': {
        if (!world.sku.released && world.skuStale(command)) return { type: 'CallFailed', command: 'Release', error: 'invalid_command' };
        // Sagas across warehouses: a location the saga has not tried takes the reservation (the model's edge has units everywhere).
        const to = LOCATIONS.find((l) => !command.tried?.includes(l));
        if (command.tried && to && !world.sku.released && !world.sku.allocationId) {
          world.skuResource(to);
          return { type: 'ReleaseAnswered', outcome: 'resourced', to };
        }
        return { type: 'ReleaseAnswered', outcome: world.skuRelease(command.reason) };
      }
    }
  };
  if (trouble === 'ok') world.replies.push(effect());
  else if (trouble === 'timeoutBefore' || trouble === 'fault') fail(trouble);
  else if (trouble === 'timeoutAfter') {
    // The reply was lost: only the effect happened; a SKU event it caused still flows.
    effect();
    fail('timeout');
  } else if (isWms) {
    world.late.push({ sentAt: world.now, land: () => void effect() });
    fail('timeout');
  } else fail('unavailable');
}

export const ACTIONS = ['event', 'event', 'reply', 'reply', 'tick', 'late', 'duplicate', 'cancel', 'expire', 'complete'];
export const stepOf = (actions: string[]) =>
  fc.record({
    action: fc.constantFrom(...actions),
    /** Which of the replies in flight ends first; where a re-sourcing goes. */
    pick: fc.nat(),
    advance: fc.integer({ min: 0, max: 2_000 }),
    trouble: fc.constantFrom<Trouble>('ok', 'ok', 'timeoutBefore', 'timeoutAfter', 'fault', 'late'),
  });
export const step = stepOf(ACTIONS);

type Step = { action: string; pick: number; advance: number; trouble: Trouble };
export const runIn = (world: World) => (commands: SagaCommand[], trouble: Trouble) => commands.forEach((c) => execute(world, c, trouble));

/** One step of trouble: time passes, and one thing happens (a delivery, a tick, a buyer's move, a re-sourcing). */
export function play(world: World, { action, advance, trouble, pick }: Step): void {
  const run = runIn(world);
  world.now += advance;
  landOverdue(world);
  if (action === 'event' && world.events.length > 0) run(world.feed(world.events.shift()!), trouble);
  if (action === 'reply' && world.replies.length > 0) run(world.feed(world.replies.splice(pick % world.replies.length, 1)[0]!), trouble);
  // The log is at least once: an event may come again.
  if (action === 'duplicate' && world.events.length > 0) world.events.push(world.events[0]!);
  if (action === 'tick') run(world.feed({ type: 'Tick' }), trouble);
  if (action === 'late') world.late.shift()?.land();
  if (action === 'cancel') world.skuRelease('cancelled');
  if (action === 'expire' && !world.sku.allocationId) world.skuRelease('expired');
  if (action === 'complete') world.skuComplete();
  // Any number of re-sourcings before the saga reads the first, back to a location it left too (A→B→A).
  if (action === 'resource') world.skuResource(LOCATIONS[pick % LOCATIONS.length]!);
}

/** The trouble stops: late effects land, messages drain, time passes, until the saga has nothing left to do. */
export function calmDown(world: World): number {
  const pending = () => world.events.length + world.replies.length + world.late.length;
  const working = () => world.saga !== null && (world.saga.nextAttemptAt !== null || world.saga.leftBehind.length > 0);
  for (let i = 0; i < 800 && (pending() > 0 || working()); i++) {
    world.late.shift()?.land();
    world.now += 600;
    landOverdue(world);
    const message = world.replies.shift() ?? world.events.shift() ?? { type: 'Tick' as const };
    runIn(world)(world.feed(message), 'ok');
  }
  return pending();
}


/** Where the warehouse bounds how late an operation lands, whatever has travelled that long lands now. */
function landOverdue(world: World): void {
  if (world.kind.tombstones) return;
  const { lateWithinMs } = world.kind;
  while (world.late.length > 0 && world.late[0]!.sentAt + lateWithinMs <= world.now) world.late.shift()!.land();
}
