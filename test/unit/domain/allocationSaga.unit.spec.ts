import { describe, expect, it } from 'vitest';
import { AllocationSagaSchema, decideSaga, type SagaCommand, type SagaMessage, type SagaPolicy } from '../../../src/domain/allocation';
import { sagaSteps } from '../../support/sagaSteps';

const policy: SagaPolicy = { callTimeoutMs: 1_000, deadlineMs: 10_000, retryBaseMs: 200, retryMaxMs: 2_000, lateAllocateMs: 0 };
const T0 = 1_800_000_000_000;
const reserved: SagaMessage = { type: 'Reserved', sku: 'SKU-1', reservationId: 'res_1', qty: 2, version: 7, at: T0, expiresAt: T0 + 300_000 };
const causedBy = { 'sku:SKU-1': 7 };

/** Feeds messages at their times; answers the final saga and every command issued on the way. */
const run = sagaSteps(policy, T0);

const allocate: SagaCommand = { type: 'Allocate', reservationId: 'res_1', reference: 'res_1', sku: 'SKU-1', qty: 2 };
const timeout = (command: SagaCommand['type']): SagaMessage => ({ type: 'CallFailed', command, error: 'timeout' });

describe('allocation saga', () => {
  it('starts with the reservation: allocate at once, the deadline from that first attempt, leased while in flight', () => {
    const { saga, last } = run([[reserved, 0]]);
    expect(last).toEqual([allocate]);
    expect(saga).toMatchObject({ phase: 'allocating', firstAttemptAt: T0, deadline: T0 + 10_000, nextAttemptAt: T0 + 2_000, wmsMayHold: true });
  });

  it('a reservation first read long after it was made (the bridge was down): Allocate, not GetAllocation; the deadline counts from now (invariant no-sale-undone-by-our-outage)', () => {
    const late = 3_600_000;
    const { saga, issued } = run([
      [reserved, late],
      [timeout('Allocate'), late + 1_000],
      [{ type: 'Tick' }, late + 1_200],
    ]);
    expect(issued).toEqual([[allocate], [], [allocate]]);
    expect(saga).toMatchObject({ phase: 'allocating', startedAt: T0, firstAttemptAt: T0 + late, deadline: T0 + late + 10_000 });
    // Even past the hold's expiry: the object releases a lapsed hold by its TTL, the saga does not guess.
    const expired = decideSaga(null, { ...reserved, expiresAt: T0 + 5_000 }, policy, T0 + 60_000);
    expect(expired.commands).toEqual([allocate]);
    expect(expired.saga!.deadline).toBe(T0 + 70_000);
  });

  it('a saga stored by an older version (no firstAttemptAt, a deadline from the reservation) asks Allocate again, then counts from it', () => {
    const { saga } = run([[reserved, 0]]);
    const { firstAttemptAt: _, ...old } = { ...saga, deadline: T0 + 1_000, nextAttemptAt: T0 + 500 };
    const upcast = AllocationSagaSchema.parse(JSON.parse(JSON.stringify(old)));
    expect(upcast.firstAttemptAt).toBeNull();
    const resumed = decideSaga(upcast, { type: 'Tick' }, policy, T0 + 50_000);
    expect(resumed.commands).toEqual([allocate]);
    expect(resumed.saga).toMatchObject({ firstAttemptAt: T0 + 50_000, deadline: T0 + 60_000 });
  });

  it('taken over by a new owner (the last one died with its Allocate queued): the deadline counts from the new owner’s first attempt, not GetAllocation', () => {
    const { saga } = run([[reserved, 0]]);
    // The new owner restores it 11 s later, past the first owner's deadline.
    const taken = decideSaga(saga, { type: 'Resumed' }, policy, T0 + 11_000);
    expect(taken.commands).toEqual([allocate]);
    expect(taken.saga).toMatchObject({ phase: 'allocating', firstAttemptAt: T0 + 11_000, deadline: T0 + 21_000 });
    expect(taken.saga!.notes.at(-1)?.note).toMatch(/another owner/);
    // Its lease still running (the command just issued by the last owner): the clock restarts with the next attempt.
    const early = decideSaga(saga, { type: 'Resumed' }, policy, T0 + 1_000);
    expect(early.commands).toEqual([]);
    expect(early.saga).toMatchObject({ firstAttemptAt: null, deadline: null });
    expect(decideSaga(early.saga, { type: 'Tick' }, policy, T0 + 2_000).saga).toMatchObject({ firstAttemptAt: T0 + 2_000, deadline: T0 + 12_000 });
    // Past allocating (or never attempted), nothing changes.
    const allocated = run([[reserved, 0], [{ type: 'WmsAnswered', answer: { status: 'allocated', allocationId: 'w-1' } }, 50], [{ type: 'ConfirmAnswered', outcome: 'confirmed' }, 80]]).saga;
    expect(decideSaga(allocated, { type: 'Resumed' }, policy, T0 + 11_000).saga).toBe(allocated);
  });

  it('taken over with an AllocateStock of the last owner unanswered: a rejection of the next one still cancels (that one may land)', () => {
    const { saga } = run([[reserved, 0]]);
    const taken = decideSaga(saga, { type: 'Resumed' }, policy, T0 + 3_000);
    expect(taken.saga).toMatchObject({ allocateFailures: 1 });
    const rejected = decideSaga(taken.saga, { type: 'WmsAnswered', answer: { status: 'rejected', reason: 'out_of_stock' } }, policy, T0 + 3_100);
    expect(rejected.saga).toMatchObject({ phase: 'releasing', wmsMayHold: true });
    const released = decideSaga(rejected.saga, { type: 'ReleaseAnswered', outcome: 'released' }, policy, T0 + 3_200);
    expect(released.commands).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1' }]);
    // Never sent an AllocateStock: nothing of it can land, nothing is counted.
    const fresh = decideSaga({ ...saga, lastAllocateAt: null }, { type: 'Resumed' }, policy, T0 + 3_000);
    expect(fresh.saga).toMatchObject({ allocateFailures: 0 });
  });

  it('ignores what is not about a reservation it started, and a second Reserved', () => {
    expect(decideSaga(null, { type: 'Released', reason: 'cancelled' }, policy, T0)).toEqual({ saga: null, commands: [] });
    const { saga, last } = run([[reserved, 0], [reserved, 100]]);
    expect(last).toEqual([]);
    expect(saga.nextAttemptAt).toBe(T0 + 2_000);
  });

  it('WMS allocated → confirm on the SKU object, naming the reservation as cause → allocated', () => {
    const { saga, issued } = run([
      [reserved, 0],
      [{ type: 'WmsAnswered', answer: { status: 'allocated', allocationId: 'alloc_9' } }, 50],
      [{ type: 'ConfirmAnswered', outcome: 'confirmed' }, 80],
    ]);
    expect(issued[1]).toEqual([{ type: 'Confirm', sku: 'SKU-1', reservationId: 'res_1', allocationId: 'alloc_9', reference: 'res_1', causedBy, location: 'default', resourcings: 0 }]);
    expect(saga).toMatchObject({ phase: 'allocated', allocationId: 'alloc_9', nextAttemptAt: null });
  });

  it('WMS rejected → release with wms_rejected, and no cancel at the WMS', () => {
    const { saga, issued } = run([
      [reserved, 0],
      [{ type: 'WmsAnswered', answer: { status: 'rejected', reason: 'out_of_stock' } }, 50],
      [{ type: 'ReleaseAnswered', outcome: 'released' }, 90],
    ]);
    expect(issued[1]).toEqual([{ type: 'Release', sku: 'SKU-1', reservationId: 'res_1', reason: 'wms_rejected', causedBy, location: 'default', resourcings: 0 }]);
    expect(issued[2]).toEqual([]);
    expect(saga).toMatchObject({ phase: 'done', releasedAs: 'wms_rejected', wmsMayHold: false, lastError: 'WMS rejected: out_of_stock' });
  });

  it('timeouts are retried with backoff inside the deadline; at the deadline it asks GetAllocation before compensating', () => {
    const { saga, issued } = run([
      [reserved, 0],
      [timeout('Allocate'), 1_000],
      [{ type: 'Tick' }, 1_100],
      [{ type: 'Tick' }, 1_200],
      [timeout('Allocate'), 2_300],
      [{ type: 'Tick' }, 2_700],
      [{ type: 'CallFailed', command: 'Allocate', error: 'fault' }, 9_000],
      [{ type: 'Tick' }, 10_000],
    ]);
    expect(issued.map((c) => c.map((x) => x.type))).toEqual([['Allocate'], [], [], ['Allocate'], [], ['Allocate'], [], ['GetAllocation']]);
    expect(saga.phase).toBe('allocating');
  });

  it('counts the AllocateStock calls that failed, and only those, over the saga’s life', () => {
    const { saga } = run([
      [reserved, 0],
      [timeout('Allocate'), 1_000],
      [{ type: 'Tick' }, 1_200],
      [timeout('Allocate'), 2_200],
      [{ type: 'Tick' }, 10_000],
      [timeout('GetAllocation'), 11_000],
    ]);
    expect(saga).toMatchObject({ phase: 'releasing', releaseWanted: 'wms_timeout', allocateFailures: 2, lastError: 'GetAllocation: timeout' });
  });

  it('GetAllocation finds it allocated → confirm instead of compensating', () => {
    const { last, saga } = run([
      [reserved, 0],
      [{ type: 'Tick' }, 10_000],
      [{ type: 'WmsAnswered', answer: { status: 'allocated', allocationId: 'alloc_late' } }, 10_100],
    ]);
    expect(last).toEqual([{ type: 'Confirm', sku: 'SKU-1', reservationId: 'res_1', allocationId: 'alloc_late', reference: 'res_1', causedBy, location: 'default', resourcings: 0 }]);
    expect(saga.phase).toBe('confirming');
  });

  it('still unknown at the deadline → release with wms_timeout, then an idempotent cancel at the WMS', () => {
    const { issued, saga } = run([
      [reserved, 0],
      [{ type: 'Tick' }, 10_000],
      [timeout('GetAllocation'), 11_000],
      [{ type: 'ReleaseAnswered', outcome: 'released' }, 11_050],
      [{ type: 'CancelAnswered' }, 11_100],
    ]);
    expect(issued[2]).toEqual([{ type: 'Release', sku: 'SKU-1', reservationId: 'res_1', reason: 'wms_timeout', causedBy, location: 'default', resourcings: 0 }]);
    expect(issued[3]).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1' }]);
    expect(saga).toMatchObject({ phase: 'done', releasedAs: 'wms_timeout', wmsMayHold: false });
  });

  it('GetAllocation not found → wms_timeout release and a cancel that leaves a tombstone', () => {
    const { issued } = run([
      [reserved, 0],
      [{ type: 'Tick' }, 10_000],
      [{ type: 'WmsAnswered', answer: { status: 'not_found' } }, 10_050],
      [{ type: 'ReleaseAnswered', outcome: 'released' }, 10_080],
    ]);
    expect(issued[2]).toEqual([{ type: 'Release', sku: 'SKU-1', reservationId: 'res_1', reason: 'wms_timeout', causedBy, location: 'default', resourcings: 0 }]);
    expect(issued[3]).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1' }]);
  });

  it('a WMS success after the release (buyer cancelled meanwhile) is cancelled at the WMS and noted', () => {
    const { issued, saga } = run([
      [reserved, 0],
      [{ type: 'Released', reason: 'cancelled' }, 300],
      [{ type: 'CancelAnswered' }, 400],
      [{ type: 'WmsAnswered', answer: { status: 'allocated', allocationId: 'alloc_2' } }, 900],
      [{ type: 'CancelAnswered' }, 950],
    ]);
    expect(issued[1]).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1' }]);
    expect(issued[3]).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1' }]);
    expect(saga.phase).toBe('done');
    expect(saga.notes.map((n) => n.note)).toEqual(['WMS allocated after the release: cancelling there']);
  });

  it('buyer cancel or expiry of an allocated reservation → cancel at the WMS, retried until acknowledged', () => {
    const { issued, saga } = run([
      [reserved, 0],
      [{ type: 'WmsAnswered', answer: { status: 'allocated', allocationId: 'alloc_3' } }, 10],
      [{ type: 'AllocationConfirmed', allocationId: 'alloc_3' }, 20],
      [{ type: 'Released', reason: 'expired' }, 300_000],
      [{ type: 'CallFailed', command: 'Cancel', error: 'unavailable' }, 300_100],
      [{ type: 'Tick' }, 300_300],
      [{ type: 'CancelAnswered' }, 300_400],
    ]);
    expect(issued[3]).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1' }]);
    expect(issued[5]).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1' }]);
    expect(saga).toMatchObject({ phase: 'done', releasedAs: 'expired' });
  });

  it('a release that never allocated anything needs no cancel', () => {
    const { issued, saga } = run([
      [reserved, 0],
      [{ type: 'WmsAnswered', answer: { status: 'rejected', reason: 'out_of_stock' } }, 10],
      [{ type: 'Released', reason: 'wms_rejected' }, 20],
    ]);
    expect(issued[2]).toEqual([]);
    expect(saga.phase).toBe('done');
  });

  it('the object answers allocated to our release: an earlier confirmation won, both sides agree', () => {
    const { saga } = run([
      [reserved, 0],
      [{ type: 'Tick' }, 10_000],
      [timeout('GetAllocation'), 10_500],
      [{ type: 'ReleaseAnswered', outcome: 'allocated' }, 10_600],
    ]);
    expect(saga.phase).toBe('allocated');
  });

  it('a reply no rule covers leaves the saga stuck with the reason; retry resumes where it stopped', () => {
    const stuck = run([
      [reserved, 0],
      [{ type: 'WmsAnswered', answer: { status: 'allocated', allocationId: 'alloc_4' } }, 10],
      [{ type: 'ConfirmAnswered', outcome: 'conflict' }, 20],
    ]);
    expect(stuck.saga).toMatchObject({ phase: 'stuck', stuckIn: 'confirming', lastError: 'the SKU object refused the confirmation: conflict' });
    const retried = decideSaga(stuck.saga, { type: 'Retry' }, policy, T0 + 5_000);
    expect(retried.commands).toEqual([{ type: 'Confirm', sku: 'SKU-1', reservationId: 'res_1', allocationId: 'alloc_4', reference: 'res_1', causedBy, location: 'default', resourcings: 0 }]);
    expect(retried.saga!.phase).toBe('confirming');
  });

  it('a confirm refused because the reservation was released meanwhile turns into a cancel', () => {
    const { last, saga } = run([
      [reserved, 0],
      [{ type: 'WmsAnswered', answer: { status: 'allocated', allocationId: 'alloc_5' } }, 10],
      [{ type: 'ConfirmAnswered', outcome: 'released', reason: 'expired' }, 20],
    ]);
    expect(last).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1' }]);
    expect(saga.releasedAs).toBe('expired');
  });
  it('the reply to a confirmation read after the buyer cancel it preceded: the saga stays on the cancel, not back to allocated', () => {
    const { issued, saga } = run([
      [reserved, 0],
      [{ type: 'WmsAnswered', answer: { status: 'allocated', allocationId: 'alloc_6' } }, 10],
      [{ type: 'AllocationConfirmed', allocationId: 'alloc_6' }, 20],
      [{ type: 'Released', reason: 'cancelled' }, 30],
      [{ type: 'CancelAnswered' }, 40],
      [{ type: 'ConfirmAnswered', outcome: 'confirmed' }, 50],
    ]);
    expect(issued[3]).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1' }]);
    expect(saga).toMatchObject({ phase: 'done', releasedAs: 'cancelled', wmsMayHold: false, nextAttemptAt: null });
  });

  it('the reply to a release read after the release itself changes nothing', () => {
    const { saga } = run([
      [reserved, 0],
      [{ type: 'WmsAnswered', answer: { status: 'allocated', allocationId: 'alloc_7' } }, 10],
      [{ type: 'Released', reason: 'expired' }, 20],
      [{ type: 'CancelAnswered' }, 30],
      [{ type: 'ReleaseAnswered', outcome: 'allocated' }, 40],
    ]);
    expect(saga).toMatchObject({ phase: 'done', releasedAs: 'expired' });
  });
  describe('a completed purchase is never released because the WMS could not be reached (invariant no-sale-undone-by-our-outage)', () => {
    const completed: SagaMessage = { type: 'Completed' };
    const releaseTimeout: SagaCommand = { type: 'Release', sku: 'SKU-1', reservationId: 'res_1', reason: 'wms_timeout', causedBy, location: 'default', resourcings: 0 };

    it('past the deadline it turns overdue and keeps asking Allocate with capped backoff, never GetAllocation or a release', () => {
      const { saga, issued } = run([
        [reserved, 0],
        [completed, 100],
        [timeout('Allocate'), 1_000],
        [{ type: 'Tick' }, 10_000],
        [timeout('Allocate'), 11_000],
        [{ type: 'Tick' }, 11_100],
        [{ type: 'Tick' }, 11_400],
        [timeout('Allocate'), 12_400],
        [{ type: 'Tick' }, 13_000],
        [{ type: 'Tick' }, 13_200],
      ]);
      expect(issued.map((c) => c.map((x) => x.type))).toEqual([['Allocate'], [], [], ['Allocate'], [], [], ['Allocate'], [], [], ['Allocate']]);
      expect(saga).toMatchObject({ phase: 'overdue', completed: true, releaseWanted: null, releasedAs: null, lastError: 'Allocate: timeout' });
      expect(saga.notes.map((n) => n.note)).toEqual([
        'completed purchase past its allocation deadline: asking the WMS until it answers (sagas retry; an admin release refunds it)',
      ]);
      // However many failures, the wait stays at retryMaxMs.
      let later = saga;
      for (let i = 0; i < 30; i++) later = decideSaga(later, timeout('Allocate'), policy, T0 + 20_000).saga!;
      expect(later.nextAttemptAt).toBe(T0 + 20_000 + policy.retryMaxMs);
      expect(later.phase).toBe('overdue');
    });

    it('overdue until the WMS answers: allocated there → confirmed on the object → allocated', () => {
      const { saga, issued } = run([
        [reserved, 0],
        [completed, 100],
        [{ type: 'Tick' }, 10_000],
        [timeout('Allocate'), 10_500],
        [{ type: 'WmsAnswered', answer: { status: 'allocated', allocationId: 'alloc_back' } }, 60_000],
        [{ type: 'ConfirmAnswered', outcome: 'confirmed' }, 60_100],
      ]);
      expect(issued[4]).toEqual([{ type: 'Confirm', sku: 'SKU-1', reservationId: 'res_1', allocationId: 'alloc_back', reference: 'res_1', causedBy, location: 'default', resourcings: 0 }]);
      expect(saga).toMatchObject({ phase: 'allocated', allocationId: 'alloc_back' });
    });

    it('the WMS refusing a completed purchase still releases it as wms_rejected (the object flags the refund)', () => {
      const { last, saga } = run([
        [reserved, 0],
        [completed, 100],
        [{ type: 'Tick' }, 10_000],
        [{ type: 'WmsAnswered', answer: { status: 'rejected', reason: 'out_of_stock' } }, 30_000],
      ]);
      expect(last).toEqual([{ type: 'Release', sku: 'SKU-1', reservationId: 'res_1', reason: 'wms_rejected', causedBy, location: 'default', resourcings: 0 }]);
      expect(saga.phase).toBe('releasing');
    });

    it('completed while GetAllocation was in flight: its timeout or not_found leads to Allocate, not to a release', () => {
      for (const reply of [timeout('GetAllocation'), { type: 'WmsAnswered', answer: { status: 'not_found' } } as SagaMessage]) {
        const { issued, saga } = run([
          [reserved, 0],
          [{ type: 'Tick' }, 10_000],
          [completed, 10_200],
          [reply, 11_000],
          [{ type: 'Tick' }, 12_000],
        ]);
        expect(issued[1]).toEqual([{ type: 'GetAllocation', reservationId: 'res_1', reference: 'res_1' }]);
        expect(issued.flat()).not.toContainEqual(releaseTimeout);
        expect(issued.slice(3).flat()).toEqual([allocate]);
        expect(saga).toMatchObject({ phase: 'overdue', releaseWanted: null });
      }
    });

    it('the object kept the purchase that completed while we asked it to release for wms_timeout: back to allocating, overdue', () => {
      const { issued, saga } = run([
        [reserved, 0],
        [{ type: 'Tick' }, 10_000],
        [timeout('GetAllocation'), 11_000],
        [{ type: 'ReleaseAnswered', outcome: 'completed' }, 11_050],
        [completed, 11_100],
      ]);
      expect(issued[2]).toEqual([releaseTimeout]);
      expect(issued[3]).toEqual([allocate]);
      expect(saga).toMatchObject({ phase: 'overdue', completed: true, releaseWanted: null, releasedAs: null });
      expect(saga.notes.map((n) => n.note)).toEqual([
        'the SKU object kept the completed purchase (no wms_timeout release): allocating again',
        'completed purchase past its allocation deadline: asking the WMS until it answers (sagas retry; an admin release refunds it)',
      ]);
    });

    it('the purchase completes while our wms_timeout release is on its way: the saga withdraws it and allocates; the late reply changes nothing', () => {
      const { issued, saga } = run([
        [reserved, 0],
        [{ type: 'Tick' }, 10_000],
        [timeout('GetAllocation'), 11_000],
        [completed, 11_050],
        [{ type: 'ReleaseAnswered', outcome: 'completed' }, 11_100],
      ]);
      expect(issued[2]).toEqual([releaseTimeout]);
      expect(issued[3]).toEqual([allocate]);
      expect(issued[4]).toEqual([]);
      expect(saga).toMatchObject({ phase: 'overdue', completed: true, releaseWanted: null });
      expect(saga.notes[0]!.note).toBe('the purchase completed before the wms_timeout release: allocating again');
    });

    it('a held reservation past the deadline is still compensated as wms_timeout (and a purchase after that is refused by the object)', () => {
      const { last } = run([
        [reserved, 0],
        [{ type: 'Tick' }, 10_000],
        [timeout('GetAllocation'), 11_000],
      ]);
      expect(last).toEqual([releaseTimeout]);
    });

    it('an operator decides: retry asks the WMS now; an admin release cancels at the WMS and ends it', () => {
      const overdue = run([
        [reserved, 0],
        [completed, 100],
        [{ type: 'Tick' }, 10_000],
        [timeout('Allocate'), 10_500],
      ]).saga;
      expect(overdue.nextAttemptAt).toBe(T0 + 10_700);
      const retried = decideSaga(overdue, { type: 'Retry' }, policy, T0 + 10_600);
      expect(retried.commands).toEqual([allocate]);
      const released = decideSaga(overdue, { type: 'Released', reason: 'admin' }, policy, T0 + 10_600);
      expect(released.commands).toEqual([{ type: 'Cancel', reservationId: 'res_1', reference: 'res_1' }]);
      expect(decideSaga(released.saga, { type: 'CancelAnswered' }, policy, T0 + 10_700).saga).toMatchObject({ phase: 'done', releasedAs: 'admin', wmsMayHold: false });
    });
  });
});
