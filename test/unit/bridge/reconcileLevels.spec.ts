import { describe, expect, it } from 'vitest';
import { compareLevels, lastDocuments, type EdgeLocation, type EdgeStock, type LevelsInput } from '../../../bridge/cli/reconcile/levels';
import { repairKey } from '../../../bridge/cli/reconcile/levelsRepair';
import type { Movement, StockLevel } from '../../../bridge/wms/movements';

const AT = '2026-12-06T12:00:00.000Z';
const ONE = { id: 'soap-1', locations: null };

const level = (location: string, sku: string, physical: number, shipped = 0, allocated = 0): StockLevel => ({ location, sku, physical, allocated, shipped });
let seq = 0;
const moved = (type: Movement['type'], location: string, sku: string, delta: number, sequence = ++seq): Movement => ({
  sequence,
  document: `${type.toUpperCase()}-${sequence}`,
  type,
  location,
  sku,
  qty: Math.abs(delta),
  delta,
  reservationId: type === 'shipment' ? 'res_1' : null,
  at: AT,
});
const at = (location: string, onHand: number, fed: EdgeLocation['fed'] = null): EdgeLocation => ({ location, onHand, fed });
const sku = (id: string, ...locations: EdgeLocation[]): EdgeStock => ({ sku: id, locations });
const input = (patch: Partial<LevelsInput>): LevelsInput => ({ warehouse: ONE, edge: [], levels: [], movements: [], readBefore: Number.MAX_SAFE_INTEGER, ...patch });

describe('stock levels: the edge per location against the warehouse', () => {
  it('agrees when the edge holds physical + shipped: a sale shipped stays on hand at the edge, allocations do not count', () => {
    const movements = [moved('receipt', 'AMS-1', 'A', 40, 1), moved('shipment', 'AMS-1', 'A', -3, 2), moved('receipt', 'RTM-2', 'A', 25, 3)];
    const result = compareLevels(
      input({ edge: [sku('A', at('AMS-1', 40), at('RTM-2', 25))], levels: [level('AMS-1', 'A', 37, 3, 5), level('RTM-2', 'A', 25)], movements }),
    );
    expect(result).toEqual({ warehouse: 'soap-1', skus: ['A'], unlocated: [], compared: 2, units: { edge: 65, wms: 65 }, differences: [] });
  });

  it('reports each disagreeing location with both sides, the difference to add at the edge and the last stock-changing document (not a shipment)', () => {
    const movements = [moved('receipt', 'AMS-1', 'A', 40, 1), moved('damage', 'RTM-2', 'A', -2, 2), moved('shipment', 'RTM-2', 'A', -1, 3)];
    const result = compareLevels(input({ edge: [sku('A', at('AMS-1', 30), at('RTM-2', 25))], levels: [level('AMS-1', 'A', 40), level('RTM-2', 'A', 22, 1)], movements }));
    expect(result.units).toEqual({ edge: 55, wms: 63 });
    expect(result.differences).toEqual([
      { kind: 'differs', sku: 'A', location: 'AMS-1', warehouse: 'soap-1', edge: 30, wms: 40, physical: 40, shipped: 0, difference: 10, document: { document: 'RECEIPT-1', sequence: 1 }, fed: null },
      { kind: 'differs', sku: 'A', location: 'RTM-2', warehouse: 'soap-1', edge: 25, wms: 23, physical: 22, shipped: 1, difference: -2, document: { document: 'DAMAGE-2', sequence: 2 }, fed: null },
    ]);
  });

  it('a location on one side only counts as zero on the other; a SKU the edge does not have is all warehouse', () => {
    const result = compareLevels(input({ edge: [sku('A', at('AMS-1', 5)), sku('B')], levels: [level('RTM-2', 'A', 7), level('AMS-1', 'B', 3)] }));
    expect(result.differences.map((d) => [d.sku, d.location, d.edge, d.wms, d.difference, d.document])).toEqual([
      ['A', 'AMS-1', 5, 0, -5, null],
      ['A', 'RTM-2', 0, 7, 7, null],
      ['B', 'AMS-1', 0, 3, 3, null],
    ]);
  });

  it('leaves out SKUs that name no location at the edge, whatever the warehouse holds of them', () => {
    const result = compareLevels(input({ edge: [{ sku: 'LEGACY', locations: null }, sku('A', at('AMS-1', 1))], levels: [level('default', 'LEGACY', 1_000_000), level('AMS-1', 'A', 1)] }));
    expect(result).toMatchObject({ skus: ['A'], unlocated: ['LEGACY'], compared: 1, differences: [] });
  });

  it('compares only the locations the warehouse serves, and never one another warehouse feeds', () => {
    const edge = [sku('A', at('AMS-1', 9), at('NYC-1', 4), at('RTM-2', 1, { warehouse: 'sap-2', sequence: 8 }))];
    const levels = [level('AMS-1', 'A', 10), level('NYC-1', 'A', 0)];
    expect(compareLevels(input({ warehouse: { id: 'soap-1', locations: ['AMS-1', 'RTM-2'] }, edge, levels })).differences.map((d) => d.location)).toEqual(['AMS-1']);
    expect(compareLevels(input({ edge, levels })).differences.map((d) => d.location)).toEqual(['AMS-1', 'NYC-1']);
  });

  it('a fed location whose feed is at another document than the warehouse is in flight, not settled', () => {
    const movements = [moved('receipt', 'AMS-1', 'A', 40, 4), moved('receipt', 'AMS-1', 'A', 5, 9)];
    const behind = compareLevels(input({ edge: [sku('A', at('AMS-1', 40, { warehouse: 'soap-1', sequence: 4 }))], levels: [level('AMS-1', 'A', 45)], movements }));
    expect(behind.differences).toMatchObject([{ kind: 'in_flight', difference: 5, document: { sequence: 9 } }]);
    // The edge applied a document the warehouse's levels were read before.
    const ahead = compareLevels(input({ edge: [sku('A', at('AMS-1', 45, { warehouse: 'soap-1', sequence: 9 }))], levels: [level('AMS-1', 'A', 40)], movements: movements.slice(0, 1) }));
    expect(ahead.differences).toMatchObject([{ kind: 'in_flight', difference: -5 }]);
    // At the same document, a difference is settled (stock typed in, a repair missing).
    const same = compareLevels(input({ edge: [sku('A', at('AMS-1', 50, { warehouse: 'soap-1', sequence: 9 }))], levels: [level('AMS-1', 'A', 45)], movements }));
    expect(same.differences).toMatchObject([{ kind: 'differs', difference: -5 }]);
  });

  it('a location moved while the levels were read is in flight', () => {
    const movements = [moved('receipt', 'AMS-1', 'A', 40, 1), moved('count', 'AMS-1', 'A', -10, 2)];
    const result = compareLevels(input({ edge: [sku('A', at('AMS-1', 40))], levels: [level('AMS-1', 'A', 30)], movements, readBefore: 1 }));
    expect(result.differences).toMatchObject([{ kind: 'in_flight', document: { document: 'COUNT-2', sequence: 2 } }]);
    expect(compareLevels(input({ edge: [sku('A', at('AMS-1', 40))], levels: [level('AMS-1', 'A', 30)], movements, readBefore: 2 })).differences).toMatchObject([{ kind: 'differs' }]);
  });

  it('the last document per SKU and location is the highest sequence of a receipt, count or damage', () => {
    const last = lastDocuments([moved('receipt', 'AMS-1', 'A', 1, 1), moved('count', 'AMS-1', 'A', 2, 5), moved('shipment', 'AMS-1', 'A', -1, 6), moved('damage', 'AMS-1', 'B', -1, 7)]);
    expect([...last.values()]).toEqual([{ document: 'COUNT-5', sequence: 5 }, { document: 'DAMAGE-7', sequence: 7 }]);
  });

  it('a repair is keyed by warehouse, SKU, location and the document: the same difference at the same document gets the same key', () => {
    const d = { warehouse: 'soap-1', sku: 'A', location: 'AMS-1', document: { document: 'COUNT-5', sequence: 5 } };
    expect(repairKey(d)).toBe('reconcile-level:soap-1:A:AMS-1:5');
    expect(repairKey({ ...d, document: null })).toBe('reconcile-level:soap-1:A:AMS-1:0');
    expect(repairKey({ ...d, location: 'RTM-2' })).not.toBe(repairKey(d));
  });
});
