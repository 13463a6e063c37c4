import { describe, expect, it } from 'vitest';
import { foldLedger, skuCounters, skuLedgerDecider, type SkuEvent, type StockCause } from '../../../src/domain/sku';
import { deciderSpec } from '../../support/deciderSpec';

/*
 * Locations on a sharded SKU (docs/architecture.md, "Locations on a sharded SKU"): each shard holds
 * its own share of each location, loans move units of one location, and a warehouse document that
 * lowers a location is applied at shard 0 after it recalled the units from its siblings.
 */

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const at = new Date(NOW).toISOString();
const spec = deciderSpec(skuLedgerDecider, NOW);
const SKU = 'HOT-1';
const S1 = `${SKU}~1`;
const count: StockCause = { kind: 'warehouse', warehouse: 'soap-1', document: 'WMS-7', sequence: 7, movement: 'count' };

const set = (stream: string, version: number, onHand: number, location: string, region: string | null = null): SkuEvent => ({
  type: 'StockSet', sku: stream, version, at, causedBy: {},
  data: { onHand, limitPerCustomer: null, shards: 2, location, ...(region === null ? {} : { region }) },
});
/** Shard 1 holds 6 units at Amsterdam (region eu) and 4 at Newark (region us). */
const shard1 = [set(S1, 1, 6, 'AMS-1', 'eu'), set(S1, 2, 4, 'EWR-1', 'us')];
const reserved = (version: number, reservationId: string, qty: number, location: string): SkuEvent => ({
  type: 'StockReserved', sku: S1, version, at, causedBy: {},
  data: { reservationId, customerId: 'c1', qty, expiresAt: new Date(NOW + 300_000).toISOString(), location },
});

describe('stock per location on a sharded SKU', () => {
  it('sets a location on a shard of a sharded SKU, and shards a SKU that names locations', () => {
    spec.given([]).when({ type: 'SetStock', data: { sku: SKU, onHand: 4, shards: 2, location: 'AMS-1' } })
      .then([{ type: 'StockSet', sku: SKU, version: 1, at, causedBy: {}, data: { onHand: 4, limitPerCustomer: null, shards: 2, location: 'AMS-1' } }]);
    spec.given([{ type: 'StockSet', sku: SKU, version: 1, at, causedBy: {}, data: { onHand: 4, limitPerCustomer: null, location: 'AMS-1' } }])
      .when({ type: 'SetStock', data: { sku: SKU, onHand: 4, shards: 2, location: 'AMS-1' } })
      .then([{ type: 'StockSet', sku: SKU, version: 2, at, causedBy: {}, data: { onHand: 4, limitPerCustomer: null, shards: 2, location: 'AMS-1' } }]);
  });

  it('adjusts one location of a shard relative to what it holds, and keeps the other', () => {
    spec.given(shard1).when({ type: 'AdjustStock', data: { sku: S1, delta: -2, shards: 2, limitPerCustomer: null, location: 'EWR-1' } })
      .then([{ type: 'StockSet', sku: S1, version: 3, at, causedBy: {}, data: { onHand: 2, limitPerCustomer: null, shards: 2, location: 'EWR-1' } }]);
    spec.given(shard1).when({ type: 'AdjustStock', data: { sku: S1, delta: -7, shards: 2, limitPerCustomer: null, location: 'AMS-1' } })
      .thenFails({ code: 'below_committed', committed: 0 });
  });
});

describe('a loan moves units of one location', () => {
  it('lends from the location asked for, the deficit or half of what it has there', () => {
    spec.given(shard1).when({ type: 'LendStock', data: { transferId: 't-1', to: SKU, want: 1, location: 'EWR-1' } })
      .then([{ type: 'StockLent', sku: S1, version: 3, at, causedBy: {}, data: { transferId: 't-1', qty: 2, to: SKU, location: 'EWR-1' } }]);
    spec.given(shard1).when({ type: 'LendStock', data: { transferId: 't-1', to: SKU, want: 1, location: 'RTM-2' } }).thenNothing();
  });

  it('without a location, lends from where a buyer of the borrower\'s region would be sourced', () => {
    spec.given(shard1).when({ type: 'LendStock', data: { transferId: 't-1', to: SKU, want: 3, region: 'us' } })
      .then([{ type: 'StockLent', sku: S1, version: 3, at, causedBy: {}, data: { transferId: 't-1', qty: 3, to: SKU, location: 'EWR-1' } }]);
    spec.given(shard1).when({ type: 'LendStock', data: { transferId: 't-1', to: SKU, want: 3 } })
      .then([{ type: 'StockLent', sku: S1, version: 3, at, causedBy: {}, data: { transferId: 't-1', qty: 3, to: SKU, location: 'AMS-1' } }]);
  });

  it('moves the location\'s units and its lent figure on both sides, so onHand + lent per location is unchanged', () => {
    const lent: SkuEvent = { type: 'StockLent', sku: S1, version: 3, at, causedBy: {}, data: { transferId: 't-1', qty: 3, to: SKU, location: 'EWR-1' } };
    const lender = foldLedger([...shard1, lent]).state;
    expect(lender.locations.find((l) => l.location === 'EWR-1')).toMatchObject({ onHand: 1, lent: 3 });
    expect(lender).toMatchObject({ onHand: 7, lent: 3 });
    spec.given([set(SKU, 1, 0, 'AMS-1')]).when({ type: 'ReceiveLoan', data: { transferId: 't-1', from: S1, qty: 3, location: 'EWR-1' } })
      .then([{ type: 'StockBorrowed', sku: SKU, version: 2, at, causedBy: {}, data: { transferId: 't-1', qty: 3, from: S1, location: 'EWR-1' } }]);
    const borrowed: SkuEvent = { type: 'StockBorrowed', sku: SKU, version: 2, at, causedBy: {}, data: { transferId: 't-1', qty: 3, from: S1, location: 'EWR-1' } };
    const borrower = foldLedger([set(SKU, 1, 0, 'AMS-1'), borrowed]).state;
    expect(skuCounters(borrower).locations).toEqual([
      { location: 'AMS-1', onHand: 0, reserved: 0, sold: 0, available: 0, fed: null },
      { location: 'EWR-1', onHand: 3, reserved: 0, sold: 0, available: 3, fed: null },
    ]);
    expect(borrower.lent).toBe(-3);
  });
});

describe('a warehouse document on a sharded SKU', () => {
  const move = (sku: string) => ({
    type: 'ApplyMovement' as const,
    data: { sku, warehouse: 'soap-1', document: 'WMS-7', sequence: 7, movement: 'count' as const, location: 'AMS-1', delta: -1 },
  });

  it('is applied at shard 0 only', () => {
    spec.given(shard1).when(move(S1)).thenFails({ code: 'invalid_command', reason: `stock movements go to shard 0 of a sharded SKU, not ${S1}` });
    spec.given([set(SKU, 1, 3, 'AMS-1')]).when(move(SKU))
      .then([{ type: 'StockMoved', sku: SKU, version: 2, at, causedBy: {}, data: { location: 'AMS-1', delta: -1, cause: count } }]);
  });

  it('recalls units from a sibling, committed ones too: their reservations give way there by the shortfall rule', () => {
    // Amsterdam on shard 1: 6 units, r1 (2) and r2 (3, newest) held, 1 free. Newark: 4 free.
    const history = [...shard1, reserved(3, 'r1', 2, 'AMS-1'), reserved(4, 'r2', 3, 'AMS-1')];
    spec.given(history).when({ type: 'LendStock', data: { transferId: 'rc-1', to: SKU, want: 4, location: 'AMS-1', recall: count } }).then([
      { type: 'StockLent', sku: S1, version: 5, at, causedBy: {}, data: { transferId: 'rc-1', qty: 4, to: SKU, location: 'AMS-1', cause: count } },
      { type: 'StockShortfall', sku: S1, version: 6, at, causedBy: {}, data: { location: 'AMS-1', short: 3, unresolved: 0, cause: count } },
      {
        type: 'ReservationResourced', sku: S1, version: 7, at, causedBy: { [`sku:${S1}`]: 4 },
        data: { reservationId: 'r2', qty: 3, from: 'AMS-1', to: 'EWR-1', completed: false, reason: 'stock_shortfall' },
      },
    ]);
  });

  it('recalls no more than the location holds on the shard, and nothing from a shard other than to shard 0', () => {
    spec.given(shard1).when({ type: 'LendStock', data: { transferId: 'rc-1', to: SKU, want: 50, location: 'EWR-1', recall: count } })
      .then([{ type: 'StockLent', sku: S1, version: 3, at, causedBy: {}, data: { transferId: 'rc-1', qty: 4, to: SKU, location: 'EWR-1', cause: count } }]);
    const shard2 = [set(`${SKU}~2`, 1, 1, 'AMS-1')];
    spec.given(shard2).when({ type: 'LendStock', data: { transferId: 'rc-1', to: S1, want: 1, location: 'AMS-1', recall: count } })
      .thenFails({ code: 'invalid_command', reason: 'units are recalled by shard 0 only' });
  });
});
