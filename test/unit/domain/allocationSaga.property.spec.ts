import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIONS, calmDown, play, policy, RES, runIn, step, stepOf, World, type Trouble, type WmsKind } from './support/sagaWorld';

/**
 * A model check of the saga (support/sagaWorld.ts). Whatever happens, once the trouble stops and
 * time passes, both sides agree and the saga is at rest: the WMS holds the units at exactly the
 * reservation's final location, or nowhere if it was released.
 */

describe('allocation saga against a model WMS and SKU object', () => {
  it('ends with both sides agreeing: allocated on both, or released with nothing held at the WMS', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.constantFrom(0, 1, 5), (steps, stock) => {
        const world = new World(stock);
        runIn(world)(world.feed({ type: 'Reserved', sku: 'SKU-M', reservationId: RES, qty: 2, version: 3, at: 0, expiresAt: 300_000 }), 'ok');
        for (const x of steps) play(world, x);
        expect(calmDown(world)).toBe(0);
        const saga = world.saga!;
        expect(['allocated', 'done']).toContain(saga.phase);
        // Invariant no-sale-undone-by-our-outage: a sale is undone only by the WMS refusing it.
        if (world.sku.completed && world.sku.released) expect(world.sku.released).toBe('wms_rejected');
        if (world.sku.released) {
          expect(world.held()).toEqual([]);
          expect(saga.phase).toBe('done');
        } else {
          expect(world.sku.allocationId).not.toBeNull();
          expect(world.held()).toEqual([{ status: 'allocated', allocationId: world.sku.allocationId, location: 'A' }]);
          expect(saga.phase).toBe('allocated');
        }
        expect(world.allocations).toBeLessThanOrEqual(1);
      }),
      { numRuns: 2_000 },
    );
  });

  it('re-sourced at any moment, to any location, any number of times: the WMS ends holding the units at exactly the final location, or nowhere if released', () => {
    const moving = stepOf([...ACTIONS, 'resource', 'resource']);
    fc.assert(
      fc.property(fc.array(moving, { maxLength: 60 }), fc.constantFrom(1, 5, 10), (steps, stock) => {
        const world = new World(stock, 'A');
        runIn(world)(world.feed({ type: 'Reserved', sku: 'SKU-M', reservationId: RES, qty: 2, version: 3, at: 0, expiresAt: 300_000, location: 'A' }), 'ok');
        for (const x of steps) play(world, x);
        expect(calmDown(world)).toBe(0);
        const saga = world.saga!;
        expect(saga.leftBehind).toEqual([]);
        if (world.sku.completed && world.sku.released) expect(world.sku.released).toBe('wms_rejected');
        if (world.sku.released) {
          expect(world.held()).toEqual([]);
          expect(saga.phase).toBe('done');
        } else {
          expect(world.held()).toEqual([{ status: 'allocated', allocationId: world.sku.allocationId, location: world.sku.location }]);
          expect(saga).toMatchObject({ phase: 'allocated', location: world.sku.location, allocationId: world.sku.allocationId });
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('no-sale-undone-by-our-outage: however long the bridge or the WMS is down, Allocate goes first, and a completed purchase ends allocated, never released', () => {
    const calm = step.filter((x) => x.action !== 'cancel' && x.action !== 'expire' && x.action !== 'complete');
    fc.assert(
      fc.property(
        // The bridge was down this long: the reservation is read this late.
        fc.integer({ min: 0, max: 5 * policy.deadlineMs }),
        // The WMS cannot be reached for this long after that.
        fc.integer({ min: 0, max: 6 * policy.deadlineMs }),
        // When the buyer completes: during the bridge's outage (0, the event waits behind the reservation), at a step, or never.
        fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
        fc.array(calm, { maxLength: 40 }),
        (late, wmsDown, completeAt, steps) => {
          const world = new World(5);
          world.now = late;
          world.wmsDownUntil = late + wmsDown;
          if (completeAt === 0) world.skuComplete();
          runIn(world)(world.feed({ type: 'Reserved', sku: 'SKU-M', reservationId: RES, qty: 2, version: 3, at: 0, expiresAt: 300_000 }), 'ok');
          expect(world.issued[0]?.type).toBe('Allocate');
          expect(world.saga).toMatchObject({ firstAttemptAt: late, deadline: late + policy.deadlineMs });
          for (const [i, x] of steps.entries()) {
            if (completeAt === i + 1) world.skuComplete();
            play(world, x);
          }
          expect(calmDown(world)).toBe(0);
          const saga = world.saga!;
          if (world.sku.completed) {
            // The WMS had the units: the sale stands, allocated on both sides.
            expect(world.sku.released).toBeNull();
            expect(world.held()).toEqual([{ status: 'allocated', allocationId: world.sku.allocationId, location: 'A' }]);
            expect(saga.phase).toBe('allocated');
          } else if (world.sku.released) {
            // A hold the WMS stayed silent about past the deadline from the first attempt: today's compensation.
            expect(world.sku.released).toBe('wms_timeout');
            expect(world.held()).toEqual([]);
            expect(saga.phase).toBe('done');
          } else {
            expect(world.held()).toEqual([{ status: 'allocated', allocationId: world.sku.allocationId, location: 'A' }]);
          }
          expect(world.allocations).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('allocation saga against a warehouse that keeps no tombstones (SAP, ADR 0017)', () => {
  // Late operations land within 3 s of being sent, the bound the saga is told (lateAllocateMs).
  const SAP: WmsKind = { tombstones: false, lateWithinMs: 3_000 };
  const moving = stepOf([...ACTIONS, 'late', 'late', 'resource']);
  /** The first AllocateStock meets trouble too: where SAP keeps no record, only a create that lands late can hold units after a release. */
  const first = fc.constantFrom<Trouble>('ok', 'late', 'late', 'timeoutBefore', 'timeoutAfter');
  const sale = (world: World, trouble: Trouble, steps: Parameters<typeof play>[1][]) => {
    runIn(world)(world.feed({ type: 'Reserved', sku: 'SKU-M', reservationId: RES, qty: 2, version: 3, at: 0, expiresAt: 300_000, location: 'A' }), trouble);
    for (const x of steps) play(world, x);
    return calmDown(world);
  };

  it('an AllocateStock landing after the release is cancelled by the cancel sent once more: released holds nothing at the WMS', () => {
    fc.assert(
      fc.property(first, fc.array(moving, { maxLength: 60 }), fc.constantFrom(1, 5, 10), (trouble, steps, stock) => {
        const world = new World(stock, 'A', SAP);
        expect(sale(world, trouble, steps)).toBe(0);
        const saga = world.saga!;
        expect(saga.leftBehind).toEqual([]);
        if (world.sku.released) {
          expect(world.held()).toEqual([]);
          expect(saga.phase).toBe('done');
        } else {
          expect(world.held()).toEqual([{ status: 'allocated', allocationId: world.sku.allocationId, location: world.sku.location }]);
          expect(saga).toMatchObject({ phase: 'allocated', location: world.sku.location });
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('told no travel time (lateAllocateMs 0), the same world leaves units held for released reservations: the bound is what closes it', () => {
    const leftHeld = fc.check(
      fc.property(first, fc.array(moving, { maxLength: 60 }), fc.constantFrom(1, 5, 10), (trouble, steps, stock) => {
        const world = new World(stock, 'A', SAP, { ...policy, lateAllocateMs: 0 });
        sale(world, trouble, steps);
        return !(world.sku.released && world.held().length > 0);
      }),
      { numRuns: 3_000, seed: 7 },
    );
    expect(leftHeld.failed).toBe(true);
  });
});
