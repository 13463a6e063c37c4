import { describe, expect, it } from 'vitest';
import { AllocationSagaSchema, decideSaga, parseReference, type SagaMessage, type SagaPolicy } from '../../../src/domain/allocation';
import { sagaSteps } from '../../support/sagaSteps';

/** The saga per location (ADR 0015): given messages at their times, then the commands and the saga. */
const policy: SagaPolicy = { callTimeoutMs: 1_000, deadlineMs: 10_000, retryBaseMs: 200, retryMaxMs: 2_000, lateAllocateMs: 0 };
const T0 = 1_800_000_000_000;
const causedBy = { 'sku:SKU-1': 7 };
const reservedAt = (location?: string): SagaMessage => ({
  type: 'Reserved',
  sku: 'SKU-1',
  reservationId: 'res_1',
  qty: 2,
  version: 7,
  at: T0,
  expiresAt: T0 + 300_000,
  ...(location === undefined ? {} : { location }),
});
const allocated = (allocationId: string, reference: string): SagaMessage => ({ type: 'WmsAnswered', answer: { status: 'allocated', allocationId }, reference });
const resourced = (from: string, to: string, completed = false, version?: number): SagaMessage => ({ type: 'Resourced', from, to, completed, ...(version === undefined ? {} : { version }) });

const given = sagaSteps(policy, T0);

/** At AMS-1, allocated there and confirmed. */
const allocatedAtAms: [SagaMessage, number][] = [
  [reservedAt('AMS-1'), 0],
  [allocated('alloc_a', 'res_1'), 50],
  [{ type: 'ConfirmAnswered', outcome: 'confirmed', allocationId: 'alloc_a' }, 80],
];

describe('allocation saga per location', () => {
  it('allocates at the location the reservation was sourced to, under the reservation id; verdicts name the location', () => {
    const { issued, saga } = given(allocatedAtAms);
    expect(issued[0]).toEqual([{ type: 'Allocate', reservationId: 'res_1', reference: 'res_1', sku: 'SKU-1', qty: 2, location: 'AMS-1' }]);
    expect(issued[1]).toEqual([{ type: 'Confirm', sku: 'SKU-1', reservationId: 'res_1', allocationId: 'alloc_a', reference: 'res_1', causedBy, location: 'AMS-1', resourcings: 0 }]);
    expect(saga).toMatchObject({ phase: 'allocated', location: 'AMS-1', reference: null, leftBehind: [] });
  });

  it('a reservation naming no location (or `default`) allocates at the warehouse’s default: no location to AllocateStock', () => {
    for (const location of [undefined, 'default']) {
      const { last, saga } = given([[reservedAt(location), 0]]);
      expect(last).toEqual([{ type: 'Allocate', reservationId: 'res_1', reference: 'res_1', sku: 'SKU-1', qty: 2 }]);
      expect(saga.location).toBe('default');
    }
  });

  it('re-sourced: cancels at the old location and allocates at the new one at once, under `id@to`; the new deadline counts from its own first attempt', () => {
    const { last, saga } = given([...allocatedAtAms, [resourced('AMS-1', 'FRA-2'), 5_000]]);
    expect(last).toEqual([
      { type: 'Allocate', reservationId: 'res_1', reference: 'res_1@FRA-2', sku: 'SKU-1', qty: 2, location: 'FRA-2' },
      { type: 'Cancel', reservationId: 'res_1', reference: 'res_1', location: 'AMS-1' },
    ]);
    expect(saga).toMatchObject({
      phase: 'allocating',
      location: 'FRA-2',
      reference: 'res_1@FRA-2',
      allocationId: null,
      firstAttemptAt: T0 + 5_000,
      deadline: T0 + 15_000,
      leftBehind: [{ reference: 'res_1', location: 'AMS-1', attempts: 0, nextAttemptAt: T0 + 7_000 }],
    });
    expect(saga.notes.at(-1)?.note).toBe('re-sourced from AMS-1 to FRA-2: cancelling res_1 there, allocating as res_1@FRA-2');
  });

  it('then: allocated and confirmed at the new location, the old one cancelled → allocated at rest, nothing left behind', () => {
    const { issued, saga } = given([
      ...allocatedAtAms,
      [resourced('AMS-1', 'FRA-2'), 5_000],
      [allocated('alloc_f', 'res_1@FRA-2'), 5_050],
      [{ type: 'CancelAnswered', reference: 'res_1' }, 5_060],
      [{ type: 'ConfirmAnswered', outcome: 'confirmed', allocationId: 'alloc_f' }, 5_090],
    ]);
    expect(issued[4]).toEqual([{ type: 'Confirm', sku: 'SKU-1', reservationId: 'res_1', allocationId: 'alloc_f', reference: 'res_1@FRA-2', causedBy, location: 'FRA-2', resourcings: 1 }]);
    expect(issued[5]).toEqual([]);
    expect(saga).toMatchObject({ phase: 'allocated', allocationId: 'alloc_f', location: 'FRA-2', leftBehind: [], nextAttemptAt: null });
  });

  it('the cancel at the old location is retried with backoff, never given up, while the new allocation goes on', () => {
    const { issued, saga } = given([
      ...allocatedAtAms,
      [resourced('AMS-1', 'FRA-2'), 5_000],
      [{ type: 'CallFailed', command: 'Cancel', error: 'timeout', reference: 'res_1' }, 6_000],
      [allocated('alloc_f', 'res_1@FRA-2'), 6_050],
      [{ type: 'Tick' }, 6_100],
      [{ type: 'Tick' }, 6_200],
      [{ type: 'CallFailed', command: 'Cancel', error: 'unavailable', reference: 'res_1' }, 6_300],
      [{ type: 'Tick' }, 6_700],
    ]);
    expect(issued[4]).toEqual([]);
    expect(issued[5]).toEqual([{ type: 'Confirm', sku: 'SKU-1', reservationId: 'res_1', allocationId: 'alloc_f', reference: 'res_1@FRA-2', causedBy, location: 'FRA-2', resourcings: 1 }]);
    expect(issued[7]).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1', location: 'AMS-1' }]);
    expect(issued[9]).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1', location: 'AMS-1' }]);
    expect(saga.leftBehind).toEqual([{ reference: 'res_1', location: 'AMS-1', attempts: 2, nextAttemptAt: T0 + 8_700, lastAllocateAt: T0 }]);
    expect(saga.phase).toBe('confirming');
  });

  it('answers about the location it left are not about the new one: an allocation there is cancelled, never confirmed', () => {
    const { issued, saga } = given([
      [reservedAt('AMS-1'), 0],
      [resourced('AMS-1', 'FRA-2'), 100],
      // The first AllocateStock's answer arrives after the re-sourcing.
      [allocated('alloc_a', 'res_1'), 150],
      [{ type: 'ConfirmAnswered', outcome: 'confirmed', allocationId: 'alloc_a' }, 160],
      [{ type: 'AllocationConfirmed', allocationId: 'alloc_a' }, 170],
    ]);
    expect(issued[1]!.map((c) => [c.type, 'reference' in c ? c.reference : null])).toEqual([
      ['Allocate', 'res_1@FRA-2'],
      ['Cancel', 'res_1'],
    ]);
    expect(issued.slice(2).flat()).toEqual([]);
    expect(saga).toMatchObject({ phase: 'allocating', allocationId: null, reference: 'res_1@FRA-2' });
  });

  it('a reservation the WMS refused, every call answered, leaves nothing behind', () => {
    const { saga } = given([
      [reservedAt('AMS-1'), 0],
      [{ type: 'WmsAnswered', answer: { status: 'rejected', reason: 'out_of_stock' }, reference: 'res_1' }, 1_100],
    ]);
    expect(saga).toMatchObject({ phase: 'releasing', wmsMayHold: false });
    const moved = decideSaga(saga, resourced('AMS-1', 'FRA-2'), policy, T0 + 1_200);
    expect(moved.commands).toEqual([{ type: 'Allocate', reservationId: 'res_1', reference: 'res_1@FRA-2', sku: 'SKU-1', qty: 2, location: 'FRA-2' }]);
    expect(moved.saga).toMatchObject({ phase: 'allocating', releaseWanted: null, leftBehind: [] });
  });

  it('refused after a call that went unanswered: that one may still land (SAP keeps no refusal), so it is cancelled where it was sent', () => {
    const { saga } = given([
      [reservedAt('AMS-1'), 0],
      [{ type: 'CallFailed', command: 'Allocate', error: 'timeout', reference: 'res_1' }, 1_000],
      [{ type: 'WmsAnswered', answer: { status: 'rejected', reason: 'out_of_stock' }, reference: 'res_1' }, 1_100],
    ]);
    expect(saga).toMatchObject({ phase: 'releasing', wmsMayHold: true });
    const moved = decideSaga(saga, resourced('AMS-1', 'FRA-2'), policy, T0 + 1_200);
    expect(moved.commands).toEqual([
      { type: 'Allocate', reservationId: 'res_1', reference: 'res_1@FRA-2', sku: 'SKU-1', qty: 2, location: 'FRA-2' },
      { type: 'Cancel', reservationId: 'res_1', reference: 'res_1', location: 'AMS-1' },
    ]);
  });

  it('back at a location it left: a fresh reference (the old one is cancelled there), numbered by the re-sourcing', () => {
    const { saga, last } = given([
      ...allocatedAtAms,
      [resourced('AMS-1', 'FRA-2'), 1_000],
      [allocated('alloc_f', 'res_1@FRA-2'), 1_050],
      [resourced('FRA-2', 'AMS-1'), 1_100],
    ]);
    expect(last.map((c) => ('reference' in c ? `${c.type} ${c.reference}` : c.type))).toEqual(['Allocate res_1@AMS-1~2', 'Cancel res_1@FRA-2']);
    expect(saga.leftBehind.map((l) => l.reference)).toEqual(['res_1', 'res_1@FRA-2']);
    expect(saga).toMatchObject({ visited: ['AMS-1', 'FRA-2'], resourcings: 2 });
    expect(parseReference('res_1@AMS-1~2')).toEqual({ reservationId: 'res_1', resourced: true });
  });

  it('its verdicts carry how many ReservationResourced it applied; one redelivered after a later one changes nothing', () => {
    const { saga, last } = given([
      ...allocatedAtAms,
      [resourced('AMS-1', 'FRA-2', false, 10), 1_000],
      [resourced('FRA-2', 'AMS-1', false, 11), 1_100],
      [allocated('alloc_back', 'res_1@AMS-1~2'), 1_200],
    ]);
    expect(last).toEqual([{ type: 'Confirm', sku: 'SKU-1', reservationId: 'res_1', allocationId: 'alloc_back', reference: 'res_1@AMS-1~2', causedBy, location: 'AMS-1', resourcings: 2 }]);
    expect(decideSaga(saga, resourced('AMS-1', 'FRA-2', false, 10), policy, T0 + 1_300)).toEqual({ saga, commands: [] });
  });

  it('a fresh reference for a cancelled one is no re-sourcing: the count its verdicts carry stays', () => {
    const { saga, last } = given([
      [reservedAt('AMS-1'), 0],
      [resourced('AMS-1', 'FRA-2'), 100],
      [{ type: 'WmsAnswered', answer: { status: 'cancelled' }, reference: 'res_1@FRA-2' }, 150],
      [allocated('alloc_f', 'res_1@FRA-2~2'), 200],
    ]);
    expect(saga).toMatchObject({ resourcings: 2, resourcedSeen: 1 });
    expect(last).toEqual([{ type: 'Confirm', sku: 'SKU-1', reservationId: 'res_1', allocationId: 'alloc_f', reference: 'res_1@FRA-2~2', causedBy, location: 'FRA-2', resourcings: 1 }]);
  });

  it('a re-sourced reference the WMS has cancelled already (a guess of a reopened saga): allocates again under a fresh one', () => {
    const { saga, last } = given([
      [reservedAt('AMS-1'), 0],
      [resourced('AMS-1', 'FRA-2'), 100],
      [{ type: 'WmsAnswered', answer: { status: 'cancelled' }, reference: 'res_1@FRA-2' }, 150],
    ]);
    expect(last).toEqual([{ type: 'Allocate', reservationId: 'res_1', reference: 'res_1@FRA-2~2', sku: 'SKU-1', qty: 2, location: 'FRA-2' }]);
    expect(saga.phase).toBe('allocating');
  });

  it('a completed purchase re-sourced is allocated at the new location however long the WMS is silent there: past the deadline it asks once to move elsewhere, then overdue, never released (invariant no-sale-undone-by-our-outage)', () => {
    const silence = (from: number, to: number): [SagaMessage, number][] => {
      const messages: [SagaMessage, number][] = [];
      for (let t = from; t <= to; t += 2_000) messages.push([{ type: 'CallFailed', command: 'Allocate', error: 'timeout', reference: 'res_1@FRA-2' }, t + 100], [{ type: 'Tick' }, t + 2_000]);
      return messages;
    };
    const before = given([...allocatedAtAms, [resourced('AMS-1', 'FRA-2', true), 1_000], ...silence(1_000, 30_000)]);
    const releases = before.issued.flat().filter((c) => c.type === 'Release');
    // Sagas across warehouses: the SKU object is asked to move the sale to a location not tried yet.
    expect(releases[0]).toEqual({ type: 'Release', sku: 'SKU-1', reservationId: 'res_1', reason: 'wms_timeout', causedBy, location: 'FRA-2', resourcings: 1, tried: ['AMS-1', 'FRA-2'] });
    expect(before.saga).toMatchObject({ phase: 'releasing', failoverAsked: true });
    // No location can take it: the object keeps the sale, and the saga asks FRA-2 until it answers.
    const after = given([...allocatedAtAms, [resourced('AMS-1', 'FRA-2', true), 1_000], ...silence(1_000, 30_000), [{ type: 'ReleaseAnswered', outcome: 'completed' }, 33_000], ...silence(33_000, 60_000)]);
    expect(after.issued.flat().filter((c) => c.type === 'Release')).toHaveLength(releases.length);
    expect(after.issued.flat().some((c) => c.type === 'GetAllocation')).toBe(false);
    expect(after.saga).toMatchObject({ phase: 'overdue', completed: true, location: 'FRA-2' });
  });

  it('refused for stock: the SKU object moves it to another location, and the saga follows the event there, cancelling nothing it does not hold', () => {
    const { saga, last } = given([
      ...allocatedAtAms,
      [resourced('AMS-1', 'FRA-2'), 1_000],
      [{ type: 'WmsAnswered', answer: { status: 'rejected', reason: 'out_of_stock' }, reference: 'res_1@FRA-2' }, 1_050],
      [{ type: 'ReleaseAnswered', outcome: 'resourced', to: 'RTM-3' }, 1_100],
    ]);
    expect(last).toEqual([]);
    expect(saga).toMatchObject({ phase: 'releasing', nextAttemptAt: null });
    const moved = given([
      ...allocatedAtAms,
      [resourced('AMS-1', 'FRA-2'), 1_000],
      [{ type: 'WmsAnswered', answer: { status: 'rejected', reason: 'out_of_stock' }, reference: 'res_1@FRA-2' }, 1_050],
      [{ type: 'ReleaseAnswered', outcome: 'resourced', to: 'RTM-3' }, 1_100],
      [resourced('FRA-2', 'RTM-3', false, 9), 1_200],
    ]);
    expect(moved.last).toEqual([{ type: 'Allocate', reservationId: 'res_1', reference: 'res_1@RTM-3', sku: 'SKU-1', qty: 2, location: 'RTM-3' }]);
    expect(moved.saga).toMatchObject({ phase: 'allocating', location: 'RTM-3', leftBehind: [{ reference: 'res_1', location: 'AMS-1' }] });
  });

  it('refused at the new location: a held reservation is released wms_rejected, the verdict naming where', () => {
    const { last } = given([
      ...allocatedAtAms,
      [resourced('AMS-1', 'FRA-2'), 1_000],
      [{ type: 'WmsAnswered', answer: { status: 'rejected', reason: 'out_of_stock' }, reference: 'res_1@FRA-2' }, 1_050],
    ]);
    expect(last).toEqual([{ type: 'Release', sku: 'SKU-1', reservationId: 'res_1', reason: 'wms_rejected', causedBy, location: 'FRA-2', resourcings: 1, tried: ['AMS-1', 'FRA-2'] }]);
  });

  it('released after a re-sourcing: cancels at the new location, and at the old one as before', () => {
    const { issued, saga } = given([
      ...allocatedAtAms,
      [resourced('AMS-1', 'FRA-2'), 1_000],
      [allocated('alloc_f', 'res_1@FRA-2'), 1_050],
      [{ type: 'Released', reason: 'cancelled' }, 1_100],
      [{ type: 'CancelAnswered', reference: 'res_1@FRA-2' }, 1_200],
    ]);
    // Every WMS call names its location: the warehouse system serving it is the one called.
    expect(issued[5]).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1@FRA-2', location: 'FRA-2' }]);
    expect(issued[6]).toEqual([]);
    expect(saga).toMatchObject({ phase: 'done', leftBehind: [{ reference: 'res_1' }] });
    const after = decideSaga(saga, { type: 'CancelAnswered', reference: 'res_1' }, policy, T0 + 1_300).saga!;
    expect(after).toMatchObject({ phase: 'done', leftBehind: [] });
  });

  it('ignores a re-sourcing of a released reservation, and the same re-sourcing delivered twice', () => {
    const released = given([[reservedAt('AMS-1'), 0], [{ type: 'Released', reason: 'expired' }, 100]]).saga;
    expect(decideSaga(released, resourced('AMS-1', 'FRA-2'), policy, T0 + 200).saga).toBe(released);
    const { saga } = given([...allocatedAtAms, [resourced('AMS-1', 'FRA-2'), 1_000]]);
    expect(decideSaga(saga, resourced('AMS-1', 'FRA-2'), policy, T0 + 1_100)).toEqual({ saga, commands: [] });
  });

  it('a saga stored before locations parses: at the warehouse’s default, under the reservation id, naming no location to the SKU object', () => {
    const { saga } = given([[reservedAt(), 0], [allocated('alloc_d', 'res_1'), 50]]);
    const { location: _l, reference: _r, resourcings: _n, resourcedSeen: _s, resourcedVersion: _rv, visited: _v, leftBehind: _b, ...old } = saga;
    const upcast = AllocationSagaSchema.parse(JSON.parse(JSON.stringify(old)));
    expect(upcast).toMatchObject({ location: null, reference: null, resourcings: 0, resourcedSeen: null, resourcedVersion: 0, visited: [], leftBehind: [] });
    const retried = decideSaga({ ...upcast, nextAttemptAt: T0 }, { type: 'Tick' }, policy, T0 + 5_000);
    expect(retried.commands).toEqual([{ type: 'Confirm', sku: 'SKU-1', reservationId: 'res_1', allocationId: 'alloc_d', reference: 'res_1', causedBy }]);
  });
});
