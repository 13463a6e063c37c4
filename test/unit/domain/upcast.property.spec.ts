import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contextFor,
  decide,
  emptyLedger,
  record,
  reservationFacts,
  stampSkuEvent,
  upcastSkuEvent,
  type ReservationLookup,
  type SkuCommand,
  type SkuEvent,
  type SkuLedger,
} from '../../../src/domain/sku';

const SKU = 'UPCAST-1';
// Few ids and one buyer, so that most histories buy a reservation and then release it (a refund).
const reservation = fc.constantFrom('res_u1', 'res_u2');
const buyer = fc.constant('ann');

/** Commands that make every kind of reservation history: held, bought, released before or after buying. */
const command: fc.Arbitrary<SkuCommand> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ reservationId: reservation, customerId: buyer, qty: fc.integer({ min: 1, max: 4 }) }).map((d) => ({ type: 'Reserve' as const, data: { sku: SKU, ttlSeconds: 60, ...d } })) },
  fc.record({ reservationId: reservation, customerId: buyer }).map((data) => ({ type: 'CompletePurchase' as const, data })),
  fc.record({ reservationId: reservation, customerId: buyer }).map((data) => ({ type: 'CancelReservation' as const, data })),
  fc.record({ reservationId: reservation }).map((data) => ({ type: 'AdminRelease' as const, data })),
  fc.record({ reservationId: reservation, allocationId: fc.constant('alloc_1') }).map((data) => ({ type: 'ConfirmAllocation' as const, data })),
);

/** A log made by the real decider from stock of 20, with the ledger as it stood before each event. */
function history(commands: readonly SkuCommand[]): { event: SkuEvent; before: SkuLedger['reservations'] }[] {
  const ledger = emptyLedger();
  const log: { event: SkuEvent; before: SkuLedger['reservations'] }[] = [];
  const run = (c: SkuCommand, now: number) => {
    const result = decide(c, contextFor(ledger, c), now);
    for (const event of result.ok ? result.value : []) {
      log.push({ event, before: new Map(ledger.reservations) });
      record(ledger, event);
    }
  };
  run({ type: 'SetStock', data: { sku: SKU, onHand: 20 } }, 0);
  commands.forEach((c, i) => run(c, 1_000 * (i + 1)));
  return log;
}

/** The record an old version wrote: a v1 completion had no qty, a v1 release no refundDue. */
function asV1(event: SkuEvent): Record<string, unknown> {
  if (event.type === 'ReservationCompleted') return { ...event, data: { reservationId: event.data.reservationId } };
  if (event.type === 'StockReleased') {
    const { refundDue: _, ...data } = event.data;
    return { ...event, data };
  }
  return event;
}

const lookupIn = (rows: SkuLedger['reservations']): ReservationLookup => (id) => {
  const row = rows.get(id);
  return row ? reservationFacts(row) : null;
};

describe('SKU upcasters over histories made by the real decider', () => {
  it('today\'s events read back as themselves, stamped or not, through JSON', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        for (const { event } of history(commands)) {
          const from = event.type === 'ReservationCompleted' || event.type === 'StockReleased' ? 2 : 1;
          expect(upcastSkuEvent(JSON.parse(JSON.stringify(stampSkuEvent(event))))).toEqual({ ok: true, value: { event, from } });
          expect(upcastSkuEvent(JSON.parse(JSON.stringify(event)))).toEqual({ ok: true, value: { event, from } });
        }
      }),
    );
  });

  it('the same history written at v1 reads as today\'s, from the rows before each event (a first fold) or after the whole log (an object that has its rows)', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        const log = history(commands);
        const final = emptyLedger();
        for (const { event } of log) record(final, event);
        for (const { event, before } of log) {
          const old = JSON.parse(JSON.stringify(asV1(event))) as unknown;
          expect(upcastSkuEvent(old, lookupIn(before))).toEqual({ ok: true, value: { event, from: 1 } });
          expect(upcastSkuEvent(old, lookupIn(final.reservations))).toEqual({ ok: true, value: { event, from: 1 } });
        }
      }),
    );
  });
});

describe('SKU upcasters refuse what they cannot read', () => {
  const set = { type: 'StockSet', sku: SKU, version: 1, at: '2027-01-10T08:00:00.000Z', causedBy: {}, data: { onHand: 1, limitPerCustomer: null } };

  it('a version newer than this reader is named, not guessed', () => {
    expect(upcastSkuEvent({ ...set, schemaVersion: 2 })).toEqual({
      ok: false, error: { code: 'newer_version', type: 'StockSet', schemaVersion: 2, message: 'StockSet v2 is newer than this reader\'s v1' },
    });
  });

  it.each([
    ['not an object', 'junk'],
    ['no data', { ...set, data: undefined }],
    ['an unknown type', { ...set, type: 'StockStolen' }],
    ['a type inherited from Object', { ...set, type: 'toString' }],
    ['a bad schemaVersion', { ...set, schemaVersion: 0 }],
    ['a fractional schemaVersion', { ...set, schemaVersion: 1.5 }],
    ['today\'s shape broken', { ...set, data: { onHand: -1, limitPerCustomer: null } }],
  ])('%s is invalid', (_, raw) => {
    expect(upcastSkuEvent(raw)).toMatchObject({ ok: false, error: { code: 'invalid' } });
  });
});
