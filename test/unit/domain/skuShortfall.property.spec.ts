import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOCATION, locationsOf, type SkuCommand, type SkuEvent, type SkuLedger } from '../../../src/domain/sku';
import { replaySkuSteps } from '../../support/skuSteps';

const SKU = 'FED-1';
const ids = ['res_a', 'res_b', 'res_c', 'res_d', 'res_e', 'res_f', 'res_g'];
const LOCATIONS = ['AMS-1', 'EWR-1', DEFAULT_LOCATION] as const;
const DOCUMENTS = 12;
const location = fc.constantFrom('AMS-1', 'EWR-1', 'SIN-1', undefined);
const id = fc.constantFrom(...ids);
const customer = fc.constantFrom('alice', 'bob');

/**
 * A warehouse's documents, fixed for a run: document d (sequence d) moves one location by its delta.
 * Steps deliver them in any order, any number of times: as a feed restarted from an old cursor would.
 */
type Document = { location: string; delta: number };
const documents = fc.array(fc.integer({ min: -6, max: 6 }), { minLength: DOCUMENTS, maxLength: DOCUMENTS })
  .map((deltas): Document[] => deltas.map((delta, d) => ({ location: LOCATIONS[d % LOCATIONS.length]!, delta })));

type Step = { advanceMs: number; command: SkuCommand | { deliver: number } };
const command: fc.Arbitrary<Step['command']> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: DOCUMENTS }).map((deliver) => ({ deliver })) },
  fc.record({ onHand: fc.integer({ min: 0, max: 12 }), location }).map(({ onHand, location: l }) => ({ type: 'SetStock' as const, data: { sku: SKU, onHand, location: l } })),
  fc.record({ qty: fc.integer({ min: 1, max: 5 }), location }).map((d) => ({ type: 'ReceiveStock' as const, data: { sku: SKU, ...d } })),
  {
    weight: 5,
    arbitrary: fc.record({ reservationId: id, customerId: customer, qty: fc.integer({ min: 1, max: 4 }), ttlSeconds: fc.integer({ min: 1, max: 20 }) })
      .map((d) => ({ type: 'Reserve' as const, data: { sku: SKU, ...d } })),
  },
  { weight: 8, arbitrary: fc.record({ reservationId: id, customerId: customer }).map((data) => ({ type: 'CompletePurchase' as const, data })) },
  fc.record({ reservationId: id, customerId: customer }).map((data) => ({ type: 'CancelReservation' as const, data })),
  fc.record({ reservationId: id }).map((data) => ({ type: 'ExpireReservation' as const, data })),
  fc.record({ reservationId: id }).map((data) => ({ type: 'AdminRelease' as const, data })),
  fc.record({ location: fc.constantFrom(...LOCATIONS), delta: fc.integer({ min: -4, max: 4 }).filter((d) => d !== 0) })
    .map(({ location: l, delta }) => ({ type: 'AdjustLocation' as const, data: { sku: SKU, location: l, delta, reason: 'repair', keyId: 'k1' } })),
);
const steps = fc.array(fc.record({ advanceMs: fc.integer({ min: 0, max: 8_000 }), command }), { minLength: 20, maxLength: 80 });

const movementOf = (docs: readonly Document[], d: number): SkuCommand => ({
  type: 'ApplyMovement',
  data: { sku: SKU, warehouse: 'soap-1', document: `WMS-${d}`, sequence: d, movement: 'count', ...docs[d - 1]! },
});

/** The units a location may be over its stock: the `unresolved` of its last shortfall (sold units nobody could take). */
const unresolvedAt = (log: readonly SkuEvent[], at: string): number =>
  log.reduce((n, e) => (e.type === 'StockShortfall' && e.data.location === at ? e.data.unresolved : n), 0);

function check({ state, reservations }: SkuLedger, log: readonly SkuEvent[]) {
  for (const l of locationsOf(state)) {
    expect(l.onHand).toBeGreaterThanOrEqual(0);
    expect(l.reserved).toBeGreaterThanOrEqual(0);
    expect(l.sold).toBeGreaterThanOrEqual(0);
    // Invariant never-oversell-a-location, with the feed: over only by units recorded unresolved.
    expect(l.reserved + l.sold - l.onHand).toBeLessThanOrEqual(unresolvedAt(log, l.location));
    const rows = [...reservations.values()].filter((r) => (r.location ?? DEFAULT_LOCATION) === l.location);
    expect(l.reserved).toBe(rows.filter((r) => r.status === 'held').reduce((n, r) => n + r.qty, 0));
    expect(l.sold).toBe(rows.filter((r) => r.status === 'completed').reduce((n, r) => n + r.qty, 0));
  }
}

describe('SKU decider with fed locations, under random commands and redelivered documents', () => {
  it('never oversells a location beyond units recorded unresolved, and counts a document delivered twice once', () => {
    fc.assert(
      fc.property(documents, steps, (docs, raw) => {
        const applied = new Set<number>();
        const onEvent = (event: SkuEvent) => {
          if (event.type === 'ReservationResourced') expect(event.data.from).not.toBe(event.data.to);
          if (event.type !== 'StockMoved' || event.data.cause.kind !== 'warehouse') return;
          // A movement delivered twice counts once.
          expect(applied.has(event.data.cause.sequence)).toBe(false);
          applied.add(event.data.cause.sequence);
        };
        const replayed = raw.map(({ advanceMs, command: c }) => ({ advanceMs, command: 'deliver' in c ? movementOf(docs, c.deliver) : c }));
        replaySkuSteps(replayed, { onEvent, afterStep: check });
      }),
      { numRuns: 250 },
    );
  }, 30_000);
});
