import { describe, expect, it } from 'vitest';
import { decideSaga, type AllocationSaga, type SagaCommand, type SagaMessage, type SagaPolicy } from '../../../src/domain/allocation';
import { skuLedgerDecider, type SkuCommand, type SkuEvent, type SkuLedger } from '../../../src/domain/sku';

/**
 * The race ADR 0015 left open, played end to end with the real deciders: the SKU object's (its
 * shortfalls re-source the reservation AMS-1 → FRA-2 → AMS-1) and the saga's, whose Confirm of
 * its allocation at AMS-1 (under the reservation id) is decided only after both re-sourcings.
 * The SKU object refuses it, as decided before the latest re-sourcing; the saga reads the two
 * events, allocates back at AMS-1 under a fresh reference, and confirms that one.
 */
const policy: SagaPolicy = { callTimeoutMs: 500, deadlineMs: 8_000, retryBaseMs: 100, retryMaxMs: 1_000, lateAllocateMs: 0 };
const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const SKU = 'SNKR-1';
const RES = 'res_00000000000000000000000001';

type WmsRecord = { status: 'allocated' | 'cancelled'; allocationId: string; location: string };

class Race {
  ledger: SkuLedger = skuLedgerDecider.initialState();
  saga: AllocationSaga | null = null;
  /** The WMS's records by reference: idempotent by it, a cancel leaves a tombstone. */
  wms = new Map<string, WmsRecord>();
  events: SkuEvent[] = [];
  replies: SagaMessage[] = [];
  now = NOW;
  /** `withCount`: the bridge sends the re-sourcings its saga read (false: a bridge from before, no count). */
  constructor(private readonly withCount: boolean) {}

  sku(command: SkuCommand) {
    const decision = skuLedgerDecider.decide(command, this.ledger, this.now);
    if (decision.ok) for (const event of decision.value) this.ledger = skuLedgerDecider.evolve(this.ledger, event);
    if (decision.ok) this.events.push(...decision.value);
    return decision;
  }

  feed(message: SagaMessage): SagaCommand[] {
    const { saga, commands } = decideSaga(this.saga, message, policy, this.now);
    this.saga = saga;
    return commands;
  }

  /** One command carried out as the executor does: a refused verdict (400) is a CallFailed, retried. */
  execute(command: SagaCommand): SagaMessage {
    switch (command.type) {
      case 'Allocate': {
        const record = this.wms.get(command.reference) ?? { status: 'allocated' as const, allocationId: `alloc_${this.wms.size + 1}`, location: command.location ?? 'default' };
        this.wms.set(command.reference, record);
        const answer = record.status === 'allocated' ? { status: 'allocated' as const, allocationId: record.allocationId } : { status: 'cancelled' as const };
        return { type: 'WmsAnswered', answer, reference: command.reference };
      }
      case 'Cancel': {
        const record = this.wms.get(command.reference);
        if (record) this.wms.set(command.reference, { ...record, status: 'cancelled' });
        return { type: 'CancelAnswered', reference: command.reference };
      }
      case 'GetAllocation':
        return { type: 'CallFailed', command: command.type, error: 'not expected here', reference: command.reference };
      case 'Confirm': {
        const { allocationId, location, resourcings } = command;
        const data = { reservationId: command.reservationId, allocationId, location, ...(this.withCount ? { resourcings } : {}) };
        const decision = this.sku({ type: 'ConfirmAllocation', data });
        if (decision.ok) return { type: 'ConfirmAnswered', outcome: 'confirmed', allocationId };
        if (decision.error.code === 'allocation_conflict') return { type: 'ConfirmAnswered', outcome: 'conflict', allocationId };
        return { type: 'CallFailed', command: 'Confirm', error: `edge answered 400 ${decision.error.code}` };
      }
      case 'Release':
        return { type: 'CallFailed', command: 'Release', error: 'not expected here' };
    }
  }

  run(commands: SagaCommand[]) {
    this.replies.push(...commands.map((c) => this.execute(c)));
  }

  /** The SKU events the saga follows, as the bridge's runner hands them over. */
  deliver(event: SkuEvent) {
    if (event.type === 'StockReserved') {
      const { reservationId, qty, expiresAt, location } = event.data;
      this.run(this.feed({ type: 'Reserved', sku: SKU, reservationId, qty, version: event.version, at: Date.parse(event.at), expiresAt: Date.parse(expiresAt), location }));
    }
    if (event.type === 'ReservationResourced') {
      const { from, to, completed } = event.data;
      this.run(this.feed({ type: 'Resourced', from, to, completed, version: event.version }));
    }
    if (event.type === 'AllocationConfirmed') this.run(this.feed({ type: 'AllocationConfirmed', allocationId: event.data.allocationId }));
  }

  /** Replies first, then events, then time: until the saga has nothing left to do. */
  settle() {
    for (let i = 0; i < 200; i++) {
      const reply = this.replies.shift();
      const event = reply ? undefined : this.events.shift();
      if (reply) this.run(this.feed(reply));
      else if (event) this.deliver(event);
      else if (this.saga !== null && (this.saga.nextAttemptAt !== null || this.saga.leftBehind.length > 0)) {
        this.now += 600;
        this.run(this.feed({ type: 'Tick' }));
      } else return;
    }
  }
}

const move = (sequence: number, location: string, delta: number, movement: 'receipt' | 'count' = 'count'): SkuCommand => ({
  type: 'ApplyMovement',
  data: { sku: SKU, warehouse: 'soap-1', document: `WMS-${sequence}`, sequence, movement, location, delta },
});

/**
 * Two fed sites, the reservation sourced at AMS-1 and allocated there by the WMS; then, before
 * the saga's Confirm is decided, two counts re-source it to FRA-2 and back to AMS-1.
 */
function raced(withCount: boolean): { race: Race; confirm: SagaMessage } {
  const race = new Race(withCount);
  race.sku(move(1, 'AMS-1', 2, 'receipt'));
  race.sku(move(2, 'FRA-2', 2, 'receipt'));
  race.sku({ type: 'Reserve', data: { sku: SKU, reservationId: RES, customerId: 'c1', qty: 2, ttlSeconds: 300 } });
  race.events = race.events.filter((e) => e.type === 'StockReserved');
  race.deliver(race.events.shift()!);
  const allocated = race.replies.shift()!;
  expect(allocated).toMatchObject({ type: 'WmsAnswered', answer: { status: 'allocated' }, reference: RES });
  const [confirm] = race.feed(allocated);
  expect(confirm).toMatchObject({ type: 'Confirm', location: 'AMS-1', resourcings: 0 });
  race.sku(move(3, 'AMS-1', -2));
  race.sku(move(4, 'AMS-1', 2, 'receipt'));
  race.sku(move(5, 'FRA-2', -2));
  const moves = race.events.filter((e) => e.type === 'ReservationResourced').map((e) => `${e.data.from}→${e.data.to}`);
  expect(moves).toEqual(['AMS-1→FRA-2', 'FRA-2→AMS-1']);
  expect(race.ledger.reservations.get(RES)).toMatchObject({ location: 'AMS-1', resourcings: 2, allocation: 'pending' });
  return { race, confirm: race.execute(confirm!) };
}

describe('two re-sourcings before the saga reads the first (A→B→A): the stale Confirm at A', () => {
  it('is refused by the SKU object, and the saga confirms its allocation back at A, once, at rest', () => {
    const { race, confirm } = raced(true);
    expect(confirm).toEqual({ type: 'CallFailed', command: 'Confirm', error: 'edge answered 400 invalid_command' });
    race.replies.push(confirm);
    race.settle();
    const row = race.ledger.reservations.get(RES)!;
    const held = [...race.wms.entries()].filter(([, r]) => r.status === 'allocated');
    expect(held).toEqual([[`${RES}@AMS-1~2`, { status: 'allocated', allocationId: row.allocationId, location: 'AMS-1' }]]);
    expect(row).toMatchObject({ location: 'AMS-1', allocation: 'allocated' });
    expect(race.saga).toMatchObject({ phase: 'allocated', allocationId: row.allocationId, location: 'AMS-1', resourcedSeen: 2, leftBehind: [] });
  });

  it('a bridge from before (no count) is as it was: the stale Confirm is taken, and the saga ends stuck on the conflict', () => {
    const { race, confirm } = raced(false);
    expect(confirm).toMatchObject({ type: 'ConfirmAnswered', outcome: 'confirmed' });
    race.replies.push(confirm);
    race.settle();
    expect(race.saga).toMatchObject({ phase: 'stuck', lastError: 'the SKU object refused the confirmation: conflict' });
  });
});
