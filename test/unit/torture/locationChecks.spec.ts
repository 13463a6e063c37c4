import { describe, expect, it } from 'vitest';
import type { Movement, StockLevel } from '../../../bridge/wms/movements';
import type { SkuEvent } from '../../../src/domain/sku';
import { feedCountedOnce, levelsAgree, locationsNeverOversold, resourcingsNamed, shortfallWindows, type Logged } from '../../../torture/locationChecks';

/**
 * The fed-stock checks can fail: each is fed what a defect of the feed, the shortfall decision or
 * the saga would leave in the logs, and must say so (and stay quiet on a correct history).
 */
const T0 = Date.parse('2026-12-06T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const EXPIRES = at(300_000);

type Step = [type: string, data: Record<string, unknown>];
const logOf = (sku: string, steps: Step[]): Logged => ({
  sku,
  log: steps.map(([type, data], i) => ({ type, data, sku, version: i + 1, at: at(i), causedBy: {} }) as unknown as SkuEvent),
});

const fed = (document: string, sequence: number, movement = 'receipt') => ({ kind: 'warehouse', warehouse: 'soap-1', document, sequence, movement });
const place = (location: string, region: string, priority: number): Step => ['StockSet', { onHand: 0, limitPerCustomer: null, location, region, priority }];
const moved = (location: string, delta: number, document: string, sequence: number, movement = 'receipt'): Step => ['StockMoved', { location, delta, cause: fed(document, sequence, movement) }];
const reserved = (id: string, qty: number, location: string): Step => ['StockReserved', { reservationId: id, customerId: `c-${id}`, qty, expiresAt: EXPIRES, location }];
const completed = (id: string, qty: number, location: string): Step => ['ReservationCompleted', { reservationId: id, qty, location }];
const shortfall = (location: string, short: number, unresolved: number, document: string, sequence: number): Step => ['StockShortfall', { location, short, unresolved, cause: fed(document, sequence, 'count') }];
const resourced = (id: string, qty: number, from: string, to: string, done = false): Step => ['ReservationResourced', { reservationId: id, qty, from, to, completed: done, reason: 'stock_shortfall' }];
const released = (id: string, qty: number, location: string, reason = 'stock_shortfall', refundDue = false): Step => ['StockReleased', { reservationId: id, qty, reason, refundDue, location }];

const opening: Step[] = [place('AMS-1', 'weur', 0), place('FRA-2', 'weur2', 1), moved('AMS-1', 5, 'R-1', 1), moved('FRA-2', 10, 'R-2', 2)];
/** A count at AMS-1 found 2 of its 5 units while 4 were committed: one re-sourced to FRA-2, one released. */
const corrected: Step[] = [
  ...opening,
  reserved('r1', 2, 'AMS-1'),
  reserved('r2', 1, 'AMS-1'),
  reserved('r3', 1, 'AMS-1'),
  completed('r1', 2, 'AMS-1'),
  moved('AMS-1', -3, 'C-3', 3, 'count'),
  shortfall('AMS-1', 2, 0, 'C-3', 3),
  resourced('r2', 1, 'AMS-1', 'FRA-2'),
  released('r3', 1, 'AMS-1'),
];

describe('per location, never oversold', () => {
  it('a correct history with a shortfall decision: no violation, every version checked', () => {
    const sku = logOf('S', [...corrected, completed('r2', 1, 'FRA-2')]);
    expect(shortfallWindows(sku.log).map(({ start, end }) => [start, end])).toEqual([[8, 11]]);
    expect(locationsNeverOversold([sku])).toEqual({ check: expect.any(String), checked: 13, violations: [] });
  });

  it('a reservation past one location\'s stock, though the SKU had units elsewhere: caught at its version', () => {
    const sku = logOf('S', [...opening, reserved('r1', 4, 'AMS-1'), reserved('r2', 2, 'AMS-1')]);
    expect(locationsNeverOversold([sku]).violations).toEqual(['S v6 AMS-1: reserved 6 + sold 0 > onHand 5']);
  });

  it('a count below committed with no shortfall decision (the move alone): caught', () => {
    const sku = logOf('S', [...opening, reserved('r1', 4, 'AMS-1'), moved('AMS-1', -3, 'C-3', 3, 'count')]);
    expect(locationsNeverOversold([sku]).violations).toEqual(['S v6 AMS-1: reserved 4 + sold 0 > onHand 2']);
  });

  it('a shortfall decision that leaves the location short beyond what it declared unresolved: caught at its end', () => {
    const sku = logOf('S', [...opening, reserved('r1', 2, 'AMS-1'), reserved('r2', 2, 'AMS-1'), moved('AMS-1', -3, 'C-3', 3, 'count'), shortfall('AMS-1', 2, 0, 'C-3', 3), resourced('r2', 1, 'AMS-1', 'FRA-2')]);
    const { violations } = locationsNeverOversold([sku]);
    // r2 holds 2 units, the re-sourcing moved 1: the rows and the counters part, and AMS-1 stays short.
    expect(violations).toContain('S v9 AMS-1: reserved 3 + sold 0 > onHand 2');
  });

  it('sold units no location could take, declared unresolved: allowed, until a reservation makes it worse', () => {
    const history = [...opening, reserved('r1', 4, 'AMS-1'), completed('r1', 4, 'AMS-1'), reserved('f', 9, 'FRA-2'), moved('AMS-1', -4, 'C-3', 3, 'count'), shortfall('AMS-1', 3, 3, 'C-3', 3)];
    expect(locationsNeverOversold([logOf('S', history)]).violations).toEqual([]);
    // Stock comes back (the excuse shrinks to 1), then a new reservation there: short again.
    const worse = logOf('S', [...history, moved('AMS-1', 2, 'R-4', 4), reserved('r9', 1, 'AMS-1')]);
    expect(locationsNeverOversold([worse]).violations).toEqual(['S v11 AMS-1: reserved 1 + sold 4 > onHand 3 (beyond the 1 unresolved units it declared)']);
  });

  it('the SKU as a whole may be short by what its locations still declare unresolved, while another location sells its later units', () => {
    // AMS-1 short by 3 sold units no location could take; FRA-2 then receives 4 units and sells them to new buyers.
    const history = [...opening, reserved('r1', 4, 'AMS-1'), completed('r1', 4, 'AMS-1'), reserved('f', 10, 'FRA-2'), moved('AMS-1', -4, 'C-3', 3, 'count'), shortfall('AMS-1', 3, 3, 'C-3', 3)];
    const restocked = [...history, moved('FRA-2', 4, 'R-4', 4), reserved('g', 4, 'FRA-2')];
    expect(locationsNeverOversold([logOf('S', restocked)]).violations).toEqual([]);
    // One unit more at FRA-2 than it has: caught there, and the SKU is now short beyond what AMS-1 declares.
    expect(locationsNeverOversold([logOf('S', [...restocked, reserved('h', 1, 'FRA-2')])]).violations).toEqual([
      'S v12 FRA-2: reserved 15 + sold 0 > onHand 14',
      'S v12: in total reserved 15 + sold 4 > onHand 15 (beyond the 3 unresolved units its locations declare)',
    ]);
  });

  it("a shortfall whose `short` is not the shortage the move made: caught", () => {
    const sku = logOf('S', [...opening, reserved('r1', 4, 'AMS-1'), moved('AMS-1', -3, 'C-3', 3, 'count'), shortfall('AMS-1', 1, 0, 'C-3', 3), released('r1', 4, 'AMS-1')]);
    expect(locationsNeverOversold([sku]).violations).toEqual(['S v6 AMS-1: the move left it short by 2, its StockShortfall says 1']);
  });

  it('a purchase completed after a re-sourcing that still names the old location: the counters part from the rows', () => {
    const sku = logOf('S', [...corrected, completed('r2', 1, 'AMS-1')]);
    expect(locationsNeverOversold([sku]).violations).toEqual([
      'S v13 AMS-1: counters from the events onHand 2 reserved -1 sold 3, from the reservations onHand 2 reserved 0 sold 2',
      'S v13 AMS-1: negative counters onHand 2 reserved -1 sold 3',
      'S v13 FRA-2: counters from the events onHand 10 reserved 1 sold 0, from the reservations onHand 10 reserved 0 sold 1',
    ]);
  });
});

describe('re-sourcings named, never silent', () => {
  it('a correct decision: its re-sourcing and release are seen, nothing wrong', () => {
    const result = resourcingsNamed([logOf('S', corrected)]);
    expect(result.violations).toEqual([]);
    expect(result.checked).toBe(2);
    expect(result.resourced.map((e) => e.data)).toEqual([{ reservationId: 'r2', qty: 1, from: 'AMS-1', to: 'FRA-2', completed: false, reason: 'stock_shortfall' }]);
  });

  it('a re-sourcing or a shortfall release with no shortfall decision: silent, caught', () => {
    const sku = logOf('S', [...opening, reserved('r1', 1, 'AMS-1'), reserved('r2', 1, 'AMS-1'), resourced('r1', 1, 'AMS-1', 'FRA-2'), released('r2', 1, 'AMS-1')]);
    expect(resourcingsNamed([sku]).violations).toEqual([
      'S v7: r1 re-sourced AMS-1 → FRA-2 outside any shortfall decision',
      'S v8: r2 released for stock_shortfall outside any shortfall decision',
    ]);
  });

  it('from a location the units were not at, to one the SKU does not have, as held when sold: caught', () => {
    const sku = logOf('S', [
      ...opening,
      reserved('r1', 2, 'AMS-1'),
      completed('r1', 2, 'AMS-1'),
      reserved('r2', 1, 'FRA-2'),
      moved('AMS-1', -4, 'C-3', 3, 'count'),
      shortfall('AMS-1', 1, 0, 'C-3', 3),
      resourced('r1', 2, 'AMS-1', 'LHR-9'),
      resourced('r2', 1, 'AMS-1', 'AMS-1'),
    ]);
    expect(resourcingsNamed([sku]).violations).toEqual([
      'S v10: r1 re-sourced to LHR-9, not a location of S',
      'S v10: r1 re-sourced as held, it was completed',
      'S v11: r2 re-sourced from AMS-1 to itself',
      'S v11: r2 re-sourced from AMS-1, its units were at FRA-2',
    ]);
  });
});

describe('failovers between warehouses (issue 23)', () => {
  const failover = (id: string, qty: number, from: string, to: string, reason = 'wms_timeout', done = false): Step => ['ReservationResourced', { reservationId: id, qty, from, to, completed: done, reason }];

  it('a reservation moved for wms_timeout or wms_rejected outside any shortfall decision: seen, nothing wrong', () => {
    const sku = logOf('S', [...opening, reserved('r1', 1, 'AMS-1'), completed('r1', 1, 'AMS-1'), failover('r1', 1, 'AMS-1', 'FRA-2', 'wms_timeout', true), reserved('r2', 2, 'AMS-1'), failover('r2', 2, 'AMS-1', 'FRA-2', 'wms_rejected')]);
    const result = resourcingsNamed([sku]);
    expect(result.violations).toEqual([]);
    expect(result.resourced.map((e) => e.data.reason)).toEqual(['wms_timeout', 'wms_rejected']);
  });

  it('a failover back to a location the reservation was at already: caught; one right after a shortfall decision is not part of it', () => {
    const sku = logOf('S', [
      ...opening,
      reserved('r1', 1, 'AMS-1'),
      failover('r1', 1, 'AMS-1', 'FRA-2'),
      failover('r1', 1, 'FRA-2', 'AMS-1'),
      reserved('r2', 1, 'AMS-1'),
      moved('AMS-1', -5, 'C-3', 3, 'count'),
      shortfall('AMS-1', 2, 0, 'C-3', 3),
      resourced('r1', 1, 'AMS-1', 'FRA-2'),
      failover('r2', 1, 'AMS-1', 'FRA-2', 'wms_rejected'),
    ]);
    expect(shortfallWindows(sku.log).map(({ start, end }) => [start, end])).toEqual([[8, 10]]);
    expect(resourcingsNamed([sku]).violations).toEqual(['S v7: r1 failed over for wms_timeout back to AMS-1, where it was already']);
  });
});

const movement = (sequence: number, document: string, type: Movement['type'], location: string, sku: string, qty: number, delta: number): Movement => ({ sequence, document, type, location, sku, qty, delta, reservationId: type === 'shipment' ? 'r1' : null, at: at(sequence) });

describe('each warehouse document counted once', () => {
  const movements = [movement(1, 'R-1', 'receipt', 'AMS-1', 'S', 5, 5), movement(2, 'R-2', 'receipt', 'FRA-2', 'S', 10, 10), movement(3, 'C-3', 'count', 'AMS-1', 'S', 2, -3), movement(4, 'SH-4', 'shipment', 'FRA-2', 'S', 1, -1)];

  it('each in the log once with its location, delta and sequence; shipments never: nothing wrong', () => {
    expect(feedCountedOnce([logOf('S', corrected)], 'soap-1', movements)).toEqual({ check: expect.any(String), checked: 3, violations: [] });
  });

  it('a movement delivered twice and applied twice, one never applied, one applied with another delta: caught', () => {
    const sku = logOf('S', [...opening, moved('FRA-2', 10, 'R-2', 2), moved('AMS-1', -4, 'C-3', 3, 'count'), moved('FRA-2', -1, 'SH-4', 4), moved('AMS-1', 1, 'X-9', 9)]);
    const lost = [...movements, movement(5, 'R-5', 'receipt', 'AMS-1', 'S', 1, 1), movement(6, 'R-6', 'receipt', 'AMS-1', 'OTHER', 1, 1)];
    expect(feedCountedOnce([sku], 'soap-1', lost).violations).toEqual([
      'receipt R-2 (#2, FRA-2 S +10): counted 2 times (S v4, S v5)',
      'count C-3 (#3, AMS-1 S -3): logged as S v6 AMS-1 -4, sequence 3, count',
      'shipment SH-4 (#4) reached the edge',
      'receipt R-5 (#5, AMS-1 S +1): counted 0 times',
      'S v8: cites X-9, which soap-1 never recorded',
    ]);
  });
});

describe('every unit accounted for against the warehouse levels', () => {
  const allocated: Step = ['AllocationConfirmed', { reservationId: 'r2', allocationId: 'A-2' }];
  const level = (location: string, physical: number, allocatedUnits: number, shipped = 0): StockLevel => ({ location, sku: 'S', physical, allocated: allocatedUnits, shipped });

  it('on hand = physical + shipped, allocated units = the allocated reservations there', () => {
    const sku = logOf('S', [...corrected, allocated]);
    expect(levelsAgree([sku], [level('AMS-1', 2, 0), level('FRA-2', 10, 1)])).toEqual({ check: expect.any(String), checked: 2, violations: [] });
  });

  it('a movement the edge missed, an allocation left at the old location: caught', () => {
    const sku = logOf('S', [...corrected, allocated]);
    expect(levelsAgree([sku], [level('AMS-1', 7, 1), level('FRA-2', 10, 0)]).violations).toEqual([
      'S at AMS-1: edge onHand 2, warehouse physical 7 + shipped 0',
      'S at AMS-1: edge allocated 0 units, warehouse allocated 1 + shipped 0',
      'S at FRA-2: edge allocated 1 units, warehouse allocated 0 + shipped 0',
    ]);
  });
});
