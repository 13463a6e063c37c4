import { describe, expect, it } from 'vitest';
import { decideSaga, type SagaPolicy } from '../../../src/domain/allocation';
import type { SkuEventOf } from '../../../src/domain/sku';
import { reopenForRelease, reopenForResourcing } from '../../../bridge/saga/reopen';
import { isFinished } from '../../../bridge/saga/store';

const policy: SagaPolicy = { callTimeoutMs: 1_000, deadlineMs: 10_000, retryBaseMs: 200, retryMaxMs: 2_000, lateAllocateMs: 0 };
const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const envelope = { sku: 'SKU-R', version: 9, at: '2026-12-06T11:59:00.000Z', causedBy: { 'sku:SKU-R': 4 } };

describe('a retired saga reopened (ADR 0015)', () => {
  it('sold units re-sourced after their saga retired: allocated at `to` as `id@to`, cancelled at `from` under both references they may have there', () => {
    const event: SkuEventOf<'ReservationResourced'> = {
      type: 'ReservationResourced', ...envelope,
      data: { reservationId: 'res_r', qty: 2, from: 'AMS-1', to: 'RTM-2', completed: true, reason: 'stock_shortfall' },
    };
    const saga = reopenForResourcing(event, NOW);
    expect(saga).toMatchObject({ phase: 'allocating', completed: true, location: 'RTM-2', reference: 'res_r@RTM-2', reservedVersion: 4, visited: ['AMS-1'] });
    expect(isFinished(saga)).toBe(false);
    const { commands } = decideSaga(saga, { type: 'Tick' }, policy, NOW);
    expect(commands).toEqual([
      { type: 'Allocate', reservationId: 'res_r', reference: 'res_r@RTM-2', sku: 'SKU-R', qty: 2, location: 'RTM-2' },
      { type: 'Cancel', reservationId: 'res_r', reference: 'res_r', location: 'AMS-1' },
      { type: 'Cancel', reservationId: 'res_r', reference: 'res_r@AMS-1', location: 'AMS-1' },
    ]);
  });

  it('its re-sourcings before the retirement are not in the event: its verdicts carry no count, and the event itself, redelivered, changes nothing', () => {
    const event: SkuEventOf<'ReservationResourced'> = {
      type: 'ReservationResourced', ...envelope,
      data: { reservationId: 'res_r', qty: 2, from: 'AMS-1', to: 'RTM-2', completed: true, reason: 'stock_shortfall' },
    };
    const saga = reopenForResourcing(event, NOW);
    expect(saga).toMatchObject({ resourcedSeen: null, resourcedVersion: 9 });
    const allocated = decideSaga(saga, { type: 'WmsAnswered', answer: { status: 'allocated', allocationId: 'alloc_r' }, reference: 'res_r@RTM-2' }, policy, NOW);
    expect(allocated.commands[0]).toEqual({ type: 'Confirm', sku: 'SKU-R', reservationId: 'res_r', allocationId: 'alloc_r', reference: 'res_r@RTM-2', causedBy: { 'sku:SKU-R': 4 }, location: 'RTM-2' });
    const again = decideSaga(allocated.saga, { type: 'Resourced', from: 'AMS-1', to: 'RTM-2', completed: true, version: 9 }, policy, NOW);
    expect(again.saga).toBe(allocated.saga);
  });

  it('a refund at a named location cancels the reservation id and, in case it was re-sourced there, `id@location`', () => {
    const event: SkuEventOf<'StockReleased'> = {
      type: 'StockReleased', ...envelope,
      data: { reservationId: 'res_r', qty: 2, reason: 'admin', refundDue: true, location: 'RTM-2' },
    };
    const { commands } = decideSaga(reopenForRelease(event, NOW), { type: 'Tick' }, policy, NOW);
    expect(commands.map((c) => ('reference' in c ? `${c.type} ${c.reference}` : c.type))).toEqual(['Cancel res_r', 'Cancel res_r@RTM-2']);
    const plain = { ...event, data: { reservationId: 'res_r', qty: 2, reason: 'admin' as const, refundDue: true } };
    expect(decideSaga(reopenForRelease(plain, NOW), { type: 'Tick' }, policy, NOW).commands).toEqual([{ type: 'Cancel', reservationId: 'res_r', reference: 'res_r' }]);
  });

  it('the event names the reference the allocation was confirmed under: exactly that one is cancelled, whatever it was (a return to a location, `id@location~n`)', () => {
    const moved: SkuEventOf<'ReservationResourced'> = {
      type: 'ReservationResourced', ...envelope,
      data: { reservationId: 'res_r', qty: 2, from: 'FRA-2', to: 'AMS-1', completed: true, reason: 'stock_shortfall', reference: 'res_r@FRA-2~2' },
    };
    const resourced = decideSaga(reopenForResourcing(moved, NOW), { type: 'Tick' }, policy, NOW).commands;
    expect(resourced.filter((c) => c.type === 'Cancel')).toEqual([{ type: 'Cancel', reservationId: 'res_r', reference: 'res_r@FRA-2~2', location: 'FRA-2' }]);
    const refunded: SkuEventOf<'StockReleased'> = {
      type: 'StockReleased', ...envelope,
      data: { reservationId: 'res_r', qty: 2, reason: 'admin', refundDue: true, location: 'FRA-2', reference: 'res_r@FRA-2~2' },
    };
    expect(decideSaga(reopenForRelease(refunded, NOW), { type: 'Tick' }, policy, NOW).commands).toEqual([{ type: 'Cancel', reservationId: 'res_r', reference: 'res_r@FRA-2~2', location: 'FRA-2' }]);
  });
});
