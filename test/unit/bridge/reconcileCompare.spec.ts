import { describe, expect, it } from 'vitest';
import type { Cli } from '../../../bridge/cli/context';
import { CallFailed } from '../../../bridge/cli/exit';
import type { AllocationBook } from '../../../bridge/cli/reconcile/allocations';
import { compareAllocations } from '../../../bridge/cli/reconcile/compare';
import { inFlight, report, type SagaSide } from '../../../bridge/cli/reconcile/inFlight';
import { settle } from '../../../bridge/cli/reconcile/settle';
import type { WmsRecord } from '../../../bridge/wms/records';
import { emptyLedger, foldLedger, type ReleaseReason, type SkuEvent, type SkuLedger } from '../../../src/domain/sku';

const AT = '2026-11-25T12:00:00.000Z';

type Step = Pick<SkuEvent, 'type' | 'data'>;

/** A SKU's folded log: its stock, then the steps of its reservations, versions numbered in order. */
function skuLog(sku: string, steps: Step[]): SkuLedger {
  const events = [{ type: 'StockSet', data: { onHand: 100, limitPerCustomer: null } }, ...steps].map(
    (step, i) => ({ ...step, sku, version: i + 1, at: AT, causedBy: {} }) as SkuEvent,
  );
  return foldLedger(events);
}
const reserved = (reservationId: string, qty: number): Step => ({ type: 'StockReserved', data: { reservationId, customerId: 'c', qty, expiresAt: AT } });
const confirmed = (reservationId: string, allocationId: string): Step => ({ type: 'AllocationConfirmed', data: { reservationId, allocationId } });
const completed = (reservationId: string, qty: number): Step => ({ type: 'ReservationCompleted', data: { reservationId, qty } });
const released = (reservationId: string, qty: number, reason: ReleaseReason, refundDue = false): Step => ({ type: 'StockReleased', data: { reservationId, qty, reason, refundDue } });

const wms = (reservationId: string, sku: string, qty: number, status: WmsRecord['status'], allocationId: string | null = null): WmsRecord => ({
  reservationId,
  sku,
  qty,
  status,
  allocationId,
  reason: status === 'rejected' ? 'out_of_stock' : null,
  updatedAt: AT,
});

const edgeOf = (...ledgers: SkuLedger[]) => new Map(ledgers.map((l) => [l.state.sku!, l]));

describe('comparing the edge with the WMS', () => {
  it('finds nothing when every allocation is on both sides, counting held and sold units, not released or refused ones', () => {
    const a = skuLog('A', [
      reserved('r1', 2), confirmed('r1', 'al-1'),
      reserved('r2', 3), confirmed('r2', 'al-2'), completed('r2', 3),
      reserved('r3', 1), released('r3', 1, 'wms_rejected'),
      reserved('r4', 4), confirmed('r4', 'al-4'), released('r4', 4, 'cancelled'),
    ]);
    const result = compareAllocations(edgeOf(a), [
      wms('r1', 'A', 2, 'allocated', 'al-1'),
      wms('r2', 'A', 3, 'allocated', 'al-2'),
      wms('r3', 'A', 1, 'rejected'),
      wms('r4', 'A', 4, 'cancelled', 'al-4'),
    ]);
    expect(result).toEqual({ skus: ['A'], compared: 4, unitsAllocated: { edge: 5, wms: 5 }, differences: [] });
  });

  it('wms_only: the WMS holds a reservation the edge released, or never had', () => {
    const a = skuLog('A', [reserved('r1', 2), confirmed('r1', 'al-1'), released('r1', 2, 'expired')]);
    const result = compareAllocations(edgeOf(a), [wms('r1', 'A', 2, 'allocated', 'al-1'), wms('ghost', 'A', 5, 'allocated', 'al-9')]);
    expect(result.unitsAllocated).toEqual({ edge: 0, wms: 7 });
    expect(result.differences).toEqual([
      { kind: 'wms_only', sku: 'A', reservationId: 'ghost', reference: 'ghost', edge: null, wms: { sku: 'A', qty: 5, status: 'allocated', allocationId: 'al-9' } },
      {
        kind: 'wms_only', sku: 'A', reservationId: 'r1', reference: 'r1',
        edge: { qty: 2, status: 'released', allocation: 'allocated', allocationId: 'al-1' },
        wms: { sku: 'A', qty: 2, status: 'allocated', allocationId: 'al-1' },
      },
    ]);
  });

  it('a WMS allocation the saga has not confirmed yet is no difference', () => {
    const a = skuLog('A', [reserved('r1', 2)]);
    expect(compareAllocations(edgeOf(a), [wms('r1', 'A', 2, 'allocated', 'al-1')]).differences).toEqual([]);
  });

  it('edge_only: the edge counts an allocation the WMS cancelled or never made', () => {
    const a = skuLog('A', [reserved('r1', 2), confirmed('r1', 'al-1'), reserved('r2', 1), confirmed('r2', 'al-2'), completed('r2', 1)]);
    const result = compareAllocations(edgeOf(a), [wms('r1', 'A', 2, 'cancelled', 'al-1')]);
    expect(result.unitsAllocated).toEqual({ edge: 3, wms: 0 });
    expect(result.differences.map((d) => [d.kind, d.reservationId, d.wms?.status ?? null])).toEqual([
      ['edge_only', 'r1', 'cancelled'],
      ['edge_only', 'r2', null],
    ]);
  });

  it('mismatch: both hold it, with another allocation id, quantity or SKU', () => {
    const a = skuLog('A', [reserved('r1', 2), confirmed('r1', 'al-1'), reserved('r2', 2), confirmed('r2', 'al-2'), reserved('r3', 1), confirmed('r3', 'al-3')]);
    const b = skuLog('B', []);
    const result = compareAllocations(edgeOf(a, b), [
      wms('r1', 'A', 2, 'allocated', 'al-other'),
      wms('r2', 'A', 3, 'allocated', 'al-2'),
      wms('r3', 'B', 1, 'allocated', 'al-3'),
    ]);
    expect(result.differences.map((d) => [d.kind, d.sku, d.reservationId])).toEqual([
      ['mismatch', 'A', 'r1'],
      ['mismatch', 'A', 'r2'],
      ['mismatch', 'A', 'r3'],
    ]);
  });

  it('only the SKUs compared count: other SKUs and tombstones are ignored, an unknown SKU has nothing allocated at the edge', () => {
    const a = skuLog('A', [reserved('r1', 2), confirmed('r1', 'al-1')]);
    const result = compareAllocations(new Map([['A', a], ['NEW', emptyLedger()]]), [
      wms('r1', 'A', 2, 'allocated', 'al-1'),
      wms('elsewhere', 'Z', 9, 'allocated', 'al-z'),
      wms('tomb', '', 0, 'cancelled'),
      wms('n1', 'NEW', 4, 'allocated', 'al-n'),
    ]);
    expect(result.skus).toEqual(['A', 'NEW']);
    expect(result.compared).toBe(2);
    expect(result.unitsAllocated).toEqual({ edge: 2, wms: 6 });
    expect(result.differences.map((d) => [d.kind, d.sku, d.reservationId])).toEqual([['wms_only', 'NEW', 'n1']]);
  });
});

describe('differences a saga is still working on', () => {
  const saga = (phase: SagaSide['phase'], releasedAs: SagaSide['releasedAs'] = null): SagaSide => ({ phase, releasedAs });
  // A sale in progress: r1's hold was released by its TTL; the WMS still holds it until the saga's CancelAllocation.
  const expired = skuLog('A', [reserved('r1', 2), confirmed('r1', 'al-1'), released('r1', 2, 'expired')]);
  const [ttlReleased] = compareAllocations(edgeOf(expired), [wms('r1', 'A', 2, 'allocated', 'al-1')]).differences;

  it('a TTL release whose CancelAllocation the saga has not sent yet is in flight, not wms_only', () => {
    expect(ttlReleased!.kind).toBe('wms_only');
    expect(inFlight(ttlReleased!, saga('cancelling', 'expired'))).toBe(true);
    // The release has not reached the saga yet: it still rests in allocated, about to cancel.
    expect(inFlight(ttlReleased!, saga('allocated'))).toBe(true);
    expect(report(ttlReleased!, saga('cancelling', 'expired'))).toEqual({ ...ttlReleased, kind: 'in_flight', shows: 'wms_only', saga: saga('cancelling', 'expired') });
  });

  it('settled: no saga (never had one, or retired), or a saga at rest that agrees with the edge', () => {
    expect(inFlight(ttlReleased!, null)).toBe(false);
    // The saga finished (its cancel lost at the WMS, say) or is stuck for an operator: nothing will close it.
    expect(inFlight(ttlReleased!, saga('done', 'expired'))).toBe(false);
    expect(inFlight(ttlReleased!, saga('stuck', 'expired'))).toBe(false);
    expect(report(ttlReleased!, saga('done', 'expired'))).toEqual({ ...ttlReleased, saga: saga('done', 'expired') });
    const lost = skuLog('A', [reserved('r2', 1), confirmed('r2', 'al-2')]);
    const [edgeOnly] = compareAllocations(edgeOf(lost), [wms('r2', 'A', 1, 'cancelled', 'al-2')]).differences;
    expect(inFlight(edgeOnly!, saga('allocated'))).toBe(false);
  });

  it('in flight whenever the saga has a command to send, or knows of a release the edge log read did not show', () => {
    const held = skuLog('A', [reserved('r3', 1), confirmed('r3', 'al-3')]);
    const [edgeOnly] = compareAllocations(edgeOf(held), [wms('r3', 'A', 1, 'cancelled', 'al-3')]).differences;
    for (const phase of ['allocating', 'overdue', 'confirming', 'releasing', 'cancelling'] as const) expect(inFlight(edgeOnly!, saga(phase)), phase).toBe(true);
    expect(inFlight(edgeOnly!, saga('done', 'cancelled'))).toBe(true);
  });
});

describe('settle: asking the sagas, then the WMS again', () => {
  type Fakes = { sagas: Record<string, SagaSide | 'disabled'>; wmsNow: WmsRecord[] };
  const fakeCli = ({ sagas }: Fakes) =>
    ({
      options: { timeoutMs: 1_000 },
      bridge: {
        saga: async (id: string) => {
          const s = sagas[id];
          if (s === 'disabled') throw new CallFailed('bridge answered HTTP 409', 'sagas_disabled');
          if (!s) throw new CallFailed('bridge answered HTTP 404', 'saga_not_found');
          return { leftBehind: [], ...s };
        },
      },
    }) as unknown as Cli;
  const bookOf = (wmsNow: WmsRecord[]) => ({ get: async (id: string) => wmsNow.find((r) => r.reservationId === id) ?? null }) as unknown as AllocationBook;

  const edge = edgeOf(skuLog('A', [
    reserved('r1', 2), confirmed('r1', 'al-1'), released('r1', 2, 'expired'),
    reserved('r2', 1), confirmed('r2', 'al-2'), released('r2', 1, 'cancelled'),
    reserved('r3', 3), confirmed('r3', 'al-3'), released('r3', 3, 'expired'),
  ]));
  const read = [wms('r1', 'A', 2, 'allocated', 'al-1'), wms('r2', 'A', 1, 'allocated', 'al-2'), wms('r3', 'A', 3, 'allocated', 'al-3'), wms('ghost', 'A', 4, 'allocated', 'al-9')];

  it('in flight (r1), closed since the read by a saga that finished (r2: dropped), settled (r3 lost its cancel, the ghost has no saga)', async () => {
    const fakes: Fakes = {
      sagas: { r1: { phase: 'cancelling', releasedAs: 'expired' }, r2: { phase: 'done', releasedAs: 'cancelled' }, r3: { phase: 'done', releasedAs: 'expired' } },
      wmsNow: [wms('r1', 'A', 2, 'allocated', 'al-1'), wms('r2', 'A', 1, 'cancelled', 'al-2'), wms('r3', 'A', 3, 'allocated', 'al-3'), wms('ghost', 'A', 4, 'allocated', 'al-9')],
    };
    const sides = { edge, wms: read };
    const result = await settle(fakeCli(fakes), bookOf(fakes.wmsNow), sides, compareAllocations(edge, read));
    expect(result.sagasAsked).toBe(true);
    expect(result.differences.map((d) => [d.kind, d.reservationId, d.saga?.phase ?? null])).toEqual([
      ['wms_only', 'ghost', null],
      ['in_flight', 'r1', 'cancelling'],
      ['wms_only', 'r3', 'done'],
    ]);
    expect(result.unitsAllocated.wms).toBe(9);
  });

  it('a bridge running no saga: every difference is settled, and said so', async () => {
    const cli = fakeCli({ sagas: { r1: 'disabled', r2: 'disabled', r3: 'disabled', ghost: 'disabled' }, wmsNow: read });
    const result = await settle(cli, bookOf(read), { edge, wms: read }, compareAllocations(edge, read));
    expect(result.sagasAsked).toBe(false);
    expect(result.differences.map((d) => d.kind)).toEqual(['wms_only', 'wms_only', 'wms_only', 'wms_only']);
  });
});

describe('comparing per location: a reservation re-sourced has a WMS reference per location (ADR 0015)', () => {
  const resourced = (reservationId: string, qty: number, from: string, to: string): Step => ({
    type: 'ReservationResourced', data: { reservationId, qty, from, to, completed: false, reason: 'stock_shortfall' },
  });
  const atAms = (steps: Step[]) => skuLog('A', [reserved('r1', 2), confirmed('r1', 'al-ams'), resourced('r1', 2, 'default', 'FRA-2'), ...steps]);

  it('the allocation at the new location (`r1@FRA-2`) is the one compared; the first one cancelled is no difference', () => {
    const edge = edgeOf(atAms([confirmed('r1', 'al-fra')]));
    const result = compareAllocations(edge, [wms('r1', 'A', 2, 'cancelled', 'al-ams'), wms('r1@FRA-2', 'A', 2, 'allocated', 'al-fra')]);
    expect(result).toEqual({ skus: ['A'], compared: 1, unitsAllocated: { edge: 2, wms: 2 }, differences: [] });
  });

  it('units still held at the location it left are wms_only, under that reference (what --repair cancels)', () => {
    const edge = edgeOf(atAms([confirmed('r1', 'al-fra')]));
    const result = compareAllocations(edge, [wms('r1', 'A', 2, 'allocated', 'al-ams'), wms('r1@FRA-2', 'A', 2, 'allocated', 'al-fra')]);
    expect(result.unitsAllocated).toEqual({ edge: 2, wms: 4 });
    expect(result.differences).toEqual([
      {
        kind: 'wms_only', sku: 'A', reservationId: 'r1', reference: 'r1',
        edge: { qty: 2, status: 'held', allocation: 'allocated', allocationId: 'al-fra' },
        wms: { sku: 'A', qty: 2, status: 'allocated', allocationId: 'al-ams' },
      },
    ]);
  });

  it('not yet allocated at the new location: no difference while the saga is between the two (the WMS reference says nothing of a move yet)', () => {
    expect(compareAllocations(edgeOf(atAms([])), [wms('r1', 'A', 2, 'allocated', 'al-ams')]).differences).toEqual([]);
  });

  it('once allocated at the new location, the old one differs; in flight while its saga is still cancelling it there', () => {
    const edge = edgeOf(atAms([]));
    const [difference, ...rest] = compareAllocations(edge, [wms('r1', 'A', 2, 'allocated', 'al-ams'), wms('r1@FRA-2', 'A', 2, 'allocated', 'al-fra')]).differences;
    expect(rest).toEqual([]);
    expect(difference).toMatchObject({ kind: 'wms_only', reservationId: 'r1', reference: 'r1', edge: { allocation: 'pending' } });
    expect(inFlight(difference!, { phase: 'confirming', releasedAs: null, leftBehind: ['r1'] })).toBe(true);
    expect(inFlight(difference!, { phase: 'allocated', releasedAs: null, leftBehind: ['r1'] })).toBe(true);
    expect(inFlight(difference!, { phase: 'allocated', releasedAs: null, leftBehind: [] })).toBe(false);
  });

  it('back at a location it left: the last numbered reference there (`~n`) is the current one', () => {
    const edge = edgeOf(atAms([resourced('r1', 2, 'FRA-2', 'default'), confirmed('r1', 'al-back')]));
    const result = compareAllocations(edge, [
      wms('r1', 'A', 2, 'cancelled', 'al-ams'),
      wms('r1@FRA-2', 'A', 2, 'cancelled', 'al-fra'),
      wms('r1@default~2', 'A', 2, 'allocated', 'al-back'),
    ]);
    expect(result.differences).toEqual([]);
    const lost = compareAllocations(edge, [wms('r1@FRA-2', 'A', 2, 'cancelled', 'al-fra')]);
    expect(lost.differences.map((d) => [d.kind, d.reference])).toEqual([['edge_only', 'r1@default']]);
  });
});
