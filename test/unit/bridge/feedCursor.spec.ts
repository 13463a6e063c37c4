import { describe, expect, it } from 'vitest';
import { advance, commandOf, initialCursor, outOfOrder } from '../../../bridge/feed/cursor';
import type { Movement } from '../../../bridge/wms/movements';

const at = '2026-12-06T10:00:00.000Z';
const movement = (sequence: number, type: Movement['type'], delta: number, extra: Partial<Movement> = {}): Movement => ({
  sequence,
  document: `D-${sequence}`,
  type,
  location: 'AMS-1',
  sku: 'SKU-1',
  qty: Math.abs(delta),
  delta,
  reservationId: null,
  at,
  ...extra,
});

describe('the feed cursor and the command of a movement', () => {
  it.each([
    ['receipt', 5],
    ['count', -3],
    ['damage', -1],
  ] as const)('a %s becomes the contract’s command, its delta as the warehouse computed it', (type, delta) => {
    expect(commandOf('soap-1', movement(7, type, delta))).toEqual({ warehouse: 'soap-1', document: 'D-7', sequence: 7, movement: type, location: 'AMS-1', delta, at });
  });

  it('a shipment is not sent (its units were sold at the edge), and the cursor still moves past it', () => {
    const shipment = movement(3, 'shipment', -2, { reservationId: 'r-1' });
    expect(commandOf('soap-1', shipment)).toBeNull();
    expect(advance(initialCursor('soap-1'), shipment)).toEqual({ warehouse: 'soap-1', sequence: 3, document: 'D-3', movement: 'shipment', at, committedAt: 0 });
  });

  it('a page must rise past the cursor: a repeat or a step back stops the feed rather than count at the wrong place', () => {
    const cursor = { ...initialCursor('soap-1'), sequence: 4 };
    expect(outOfOrder(cursor, [movement(5, 'receipt', 1), movement(9, 'receipt', 1)])).toBeNull();
    expect(outOfOrder(cursor, [movement(4, 'receipt', 1)])).toBe('the warehouse answered sequence 4 after 4: movements must come in rising order after the cursor');
    expect(outOfOrder(cursor, [movement(6, 'receipt', 1), movement(5, 'receipt', 1)])).toBe('the warehouse answered sequence 5 after 6: movements must come in rising order after the cursor');
  });
});
