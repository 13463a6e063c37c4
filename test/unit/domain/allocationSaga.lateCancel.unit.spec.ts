import { describe, expect, it } from 'vitest';
import { AllocationSagaSchema, type SagaMessage, type SagaPolicy } from '../../../src/domain/allocation';
import { sagaSteps } from '../../support/sagaSteps';

/**
 * A cancel that may have run before an AllocateStock still travelling landed is sent once more when
 * none can land any more (ADR 0017: SAP keeps no tombstone to refuse the late one).
 */
const policy: SagaPolicy = { callTimeoutMs: 1_000, deadlineMs: 10_000, retryBaseMs: 200, retryMaxMs: 2_000, lateAllocateMs: 10_000 };
const T0 = 1_800_000_000_000;
const run = sagaSteps(policy, T0);
const reservedAt = (location: string): SagaMessage => ({ type: 'Reserved', sku: 'SKU-1', reservationId: 'res_1', qty: 2, version: 7, at: T0, expiresAt: T0 + 300_000, location });
const cancel = { type: 'Cancel', reservationId: 'res_1', reference: 'res_1', location: 'FRA-1' };

describe('the cancel sent once more after an AllocateStock may have landed', () => {
  it('a buyer cancel right after an unanswered AllocateStock: cancelled, then cancelled again lateAllocateMs after that AllocateStock, then done', () => {
    const { issued, saga } = run([
      [reservedAt('FRA-1'), 0],
      [{ type: 'CallFailed', command: 'Allocate', error: 'timeout', reference: 'res_1' }, 1_000],
      [{ type: 'Released', reason: 'cancelled' }, 1_500],
      [{ type: 'CancelAnswered', reference: 'res_1', sentAt: T0 + 1_500 }, 1_600],
      [{ type: 'Tick' }, 9_999],
      [{ type: 'Tick' }, 10_000],
      [{ type: 'CancelAnswered', reference: 'res_1', sentAt: T0 + 10_000 }, 10_100],
    ]);
    expect(issued[2]).toEqual([cancel]);
    expect(issued[3]).toEqual([]);
    expect(issued[4]).toEqual([]);
    expect(issued[5]).toEqual([cancel]);
    expect(saga).toMatchObject({ phase: 'done', wmsMayHold: false, nextAttemptAt: null, lastAllocateAt: T0 });
    expect(saga.notes.map((n) => n.note)).toEqual(['cancelled at the WMS 1500 ms after an AllocateStock that may land later: cancelling once more in 8400 ms']);
  });

  it('what counts is when the cancel was sent: an answer read after the window, of a cancel sent inside it, is not final', () => {
    const { saga, last } = run([
      [reservedAt('FRA-1'), 0],
      [{ type: 'Released', reason: 'cancelled' }, 500],
      [{ type: 'CancelAnswered', reference: 'res_1', sentAt: T0 + 500 }, 12_000],
    ]);
    // Sent at once: the window has passed, but nothing says the first cancel ran after it.
    expect(last).toEqual([cancel]);
    expect(saga).toMatchObject({ phase: 'cancelling', nextAttemptAt: T0 + 12_000 + 2 * policy.callTimeoutMs });
  });

  it('a cancel sent after the window is final at once: one cancel for a reservation released long after its AllocateStock', () => {
    const { issued, saga } = run([
      [reservedAt('FRA-1'), 0],
      [{ type: 'WmsAnswered', answer: { status: 'allocated', allocationId: '4000001' }, reference: 'res_1' }, 100],
      [{ type: 'ConfirmAnswered', outcome: 'confirmed', allocationId: '4000001' }, 200],
      [{ type: 'Released', reason: 'expired' }, 300_000],
      [{ type: 'CancelAnswered', reference: 'res_1', sentAt: T0 + 300_000 }, 300_050],
    ]);
    expect(issued.flat().filter((c) => c.type === 'Cancel')).toHaveLength(1);
    expect(saga.phase).toBe('done');
  });

  it('an allocation left behind by a re-sourcing is cancelled once more too, on its own clock', () => {
    const { issued, saga } = run([
      [reservedAt('FRA-1'), 0],
      [{ type: 'CallFailed', command: 'Allocate', error: 'timeout', reference: 'res_1' }, 1_000],
      [{ type: 'Resourced', from: 'FRA-1', to: 'AMS-1', completed: false, version: 9 }, 2_000],
      [{ type: 'CancelAnswered', reference: 'res_1', sentAt: T0 + 2_000 }, 2_100],
      [{ type: 'Tick' }, 10_000],
      [{ type: 'CancelAnswered', reference: 'res_1', sentAt: T0 + 10_000 }, 10_050],
    ]);
    expect(issued[2]).toContainEqual(cancel);
    expect(issued[3]).toEqual([]);
    // With the new allocation's AllocateStock, whose lease ran out meanwhile.
    expect(issued[4]).toContainEqual(cancel);
    expect(saga.leftBehind).toEqual([]);
    expect(saga).toMatchObject({ location: 'AMS-1', reference: 'res_1@AMS-1', lastAllocateAt: T0 + 10_000 });
  });

  it('the second cancel is the saga’s state: a saga read back (a new owner) still sends it', () => {
    const first = run([
      [reservedAt('FRA-1'), 0],
      [{ type: 'Released', reason: 'cancelled' }, 500],
      [{ type: 'CancelAnswered', reference: 'res_1', sentAt: T0 + 500 }, 600],
    ]).saga;
    const stored = AllocationSagaSchema.parse(JSON.parse(JSON.stringify(first)));
    expect(stored).toMatchObject({ phase: 'cancelling', nextAttemptAt: T0 + 10_000, lastAllocateAt: T0 });
    // Stored before the field: no second cancel is known to be owed.
    const { lastAllocateAt: _dropped, ...older } = first;
    expect(AllocationSagaSchema.parse(older).lastAllocateAt).toBeNull();
  });

  it('an AllocateStock queued in the executor leaves later than decided: its reply says when, and the bound counts from then', () => {
    // Decided at T0, sent at T0 + 12 s (a backlog); the cancel sent at T0 + 11 s ran before it left.
    const { saga, issued } = run([
      [reservedAt('FRA-1'), 0],
      [{ type: 'Released', reason: 'cancelled' }, 100],
      [{ type: 'Tick' }, 10_000],
      [{ type: 'CancelAnswered', reference: 'res_1', sentAt: T0 + 11_000 }, 11_100],
      [{ type: 'CallFailed', command: 'Allocate', error: 'timeout', reference: 'res_1', sentAt: T0 + 12_000 }, 12_400],
      [{ type: 'Tick' }, 21_999],
      [{ type: 'Tick' }, 22_000],
      [{ type: 'CancelAnswered', reference: 'res_1', sentAt: T0 + 22_000 }, 22_100],
    ]);
    expect(issued[2]).toEqual([cancel]);
    expect(issued[4]).toEqual([]);
    expect(issued[5]).toEqual([]);
    expect(issued[6]).toEqual([cancel]);
    expect(saga).toMatchObject({ phase: 'done', lastAllocateAt: T0 + 12_000, finalCancelAt: T0 + 22_000 });
    expect(saga.notes.map((n) => n.note)).toContain('an AllocateStock left 1000 ms after the final cancel was sent (queued): cancelling once more in 9600 ms');
  });

  it('a reply saying when an allocation left behind was sent moves that one’s bound; one sent before the final cancel’s bound changes nothing', () => {
    const { saga } = run([
      [reservedAt('FRA-1'), 0],
      [{ type: 'Released', reason: 'cancelled' }, 100],
      [{ type: 'Tick' }, 10_000],
      [{ type: 'CancelAnswered', reference: 'res_1', sentAt: T0 + 11_000 }, 11_100],
      [{ type: 'WmsAnswered', answer: { status: 'rejected', reason: 'out_of_stock' }, reference: 'res_1', sentAt: T0 + 50 }, 11_200],
    ]);
    expect(saga).toMatchObject({ phase: 'done', lastAllocateAt: T0 + 50 });
  });
});
