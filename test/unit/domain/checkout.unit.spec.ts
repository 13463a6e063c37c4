import { describe, expect, it } from 'vitest';
import { CartSchema, checkoutStatus, directCause, evolveCheckout, nextStep, readReserve, requestChange, stepCause, withRegion, type CheckoutEvent, type CheckoutState } from '../../../src/domain/checkout';

const started: CheckoutEvent = {
  type: 'CheckoutStarted',
  data: { checkoutId: 'chk_1', customerId: 'ann', lines: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }], ttlSeconds: 300, requestHash: 'h' },
};
const given = (...events: CheckoutEvent[]): CheckoutState => events.reduce<CheckoutState | null>(evolveCheckout, null)!;
const reserved = (sku: string, reservationId: string): CheckoutEvent => ({ type: 'LineReserved', data: { sku, reservationId, skuVersion: 2 } });

describe('checkout workflow', () => {
  it('reserves the lines one by one, in order, then rests as reserved', () => {
    expect(nextStep(given(started))).toEqual({ type: 'Reserve', sku: 'A', qty: 1 });
    expect(nextStep(given(started, reserved('A', 'r1')))).toEqual({ type: 'Reserve', sku: 'B', qty: 2 });
    const all = given(started, reserved('A', 'r1'), reserved('B', 'r2'));
    expect(nextStep(all)).toBeNull();
    expect(checkoutStatus(all)).toBe('reserved');
    expect(all.version).toBe(3);
  });

  it('a refused line turns it into compensation: release what is held, then failed', () => {
    const refused: CheckoutEvent = { type: 'LineRefused', data: { sku: 'B', code: 'insufficient_stock', details: { available: 1 } } };
    const s = given(started, reserved('A', 'r1'), refused);
    expect(checkoutStatus(s)).toBe('compensating');
    expect(nextStep(s)).toEqual({ type: 'Release', sku: 'A', reservationId: 'r1' });
    const done = given(started, reserved('A', 'r1'), refused, { type: 'LineReleased', data: { sku: 'A', skuVersion: 3 } });
    expect(checkoutStatus(done)).toBe('failed');
    expect(nextStep(done)).toBeNull();
  });

  it('complete and cancel act on every held line and are refused or ignored where they make no sense', () => {
    const held = given(started, reserved('A', 'r1'), reserved('B', 'r2'));
    expect(requestChange(held, 'complete')).toEqual({ type: 'CompletionRequested', data: {} });
    const completing = given(started, reserved('A', 'r1'), reserved('B', 'r2'), { type: 'CompletionRequested', data: {} });
    expect(nextStep(completing)).toEqual({ type: 'Complete', sku: 'A', reservationId: 'r1' });
    expect(requestChange(completing, 'cancel')).toBe('refused');
    expect(requestChange(completing, 'complete')).toBe('nothing');
    // Cancelled while still reserving: the pending line is never reserved, the held one released.
    const cancelling = given(started, reserved('A', 'r1'), { type: 'CancellationRequested', data: {} });
    expect(nextStep(cancelling)).toEqual({ type: 'Release', sku: 'A', reservationId: 'r1' });
    expect(requestChange(given(started), 'complete')).toBe('refused');
  });
});

describe('a cancel while a line may be reserved unrecorded', () => {
  const cancel: CheckoutEvent = { type: 'CancellationRequested', data: {} };

  it('releases what is held, then abandons the first pending line (only it can have been sent), then rests cancelled', () => {
    const s = given(started, reserved('A', 'r1'), cancel);
    expect(s.unrecorded).toBe('B');
    expect(nextStep(s)).toEqual({ type: 'Release', sku: 'A', reservationId: 'r1' });
    const released = given(started, reserved('A', 'r1'), cancel, { type: 'LineReleased', data: { sku: 'A', skuVersion: 3 } });
    expect(nextStep(released)).toEqual({ type: 'Abandon', sku: 'B', qty: 2 });
    // Not cancelled while the SKU may still hold the line's units.
    expect(checkoutStatus(released)).toBe('cancelling');
    const abandoned = given(started, reserved('A', 'r1'), cancel, { type: 'LineReleased', data: { sku: 'A', skuVersion: 3 } }, { type: 'LineReleased', data: { sku: 'B', skuVersion: null } });
    expect(nextStep(abandoned)).toBeNull();
    expect(checkoutStatus(abandoned)).toBe('cancelled');
  });

  it('the SKU says the reserve did commit: the line is recorded as held, then released like any other', () => {
    const learned = given(started, cancel, reserved('A', 'r1'));
    expect(checkoutStatus(learned)).toBe('cancelling');
    expect(nextStep(learned)).toEqual({ type: 'Release', sku: 'A', reservationId: 'r1' });
    const done = given(started, cancel, reserved('A', 'r1'), { type: 'LineReleased', data: { sku: 'A', skuVersion: 4 } });
    // B was never sent (A's reserve had not been answered): nothing to ask its SKU.
    expect(nextStep(done)).toBeNull();
    expect(checkoutStatus(done)).toBe('cancelled');
  });

  it('nothing to abandon after a refusal (the walk stopped at the refused line) or once every line is held', () => {
    const refused: CheckoutEvent = { type: 'LineRefused', data: { sku: 'A', code: 'insufficient_stock', details: {} } };
    const failed = given(started, refused, cancel);
    expect(failed.unrecorded).toBeNull();
    expect(nextStep(failed)).toBeNull();
    const all = given(started, reserved('A', 'r1'), reserved('B', 'r2'), cancel);
    expect(all.unrecorded).toBeNull();
    const over = given(started, reserved('A', 'r1'), reserved('B', 'r2'), cancel, { type: 'LineReleased', data: { sku: 'A', skuVersion: 3 } }, { type: 'LineReleased', data: { sku: 'B', skuVersion: 4 } });
    expect(nextStep(over)).toBeNull();
  });
});

describe('checkout clock', () => {
  it('each step carries the checkout version and every SKU version the checkout has seen', () => {
    expect(stepCause(given(started))).toEqual({ 'checkout:chk_1': 1 });
    const later = given(started, reserved('A', 'r1'), { type: 'LineReserved', data: { sku: 'B', reservationId: 'r2', skuVersion: 7 } });
    expect(stepCause(later)).toEqual({ 'checkout:chk_1': 3, 'sku:A': 2, 'sku:B': 7 });
    const released = given(started, reserved('A', 'r1'), { type: 'CancellationRequested', data: {} }, { type: 'LineReleased', data: { sku: 'A', skuVersion: 9 } });
    expect(stepCause(released)).toEqual({ 'checkout:chk_1': 4, 'sku:A': 9 });
  });

  it('an event names the SKU event it reports, and nothing when there was none', () => {
    expect(directCause(reserved('A', 'r1'))).toEqual({ 'sku:A': 2 });
    expect(directCause({ type: 'LineReleased', data: { sku: 'A', skuVersion: null } })).toEqual({});
    expect(directCause(started)).toEqual({});
  });
});

describe('cart', () => {
  it('merges lines of one SKU and sorts by SKU; refuses empty, too long and too much', () => {
    expect(CartSchema.parse([{ sku: 'B', qty: 1 }, { sku: 'A', qty: 2 }, { sku: 'B', qty: 3 }])).toEqual([{ sku: 'A', qty: 2 }, { sku: 'B', qty: 4 }]);
    expect(CartSchema.safeParse([]).success).toBe(false);
    expect(CartSchema.safeParse(Array.from({ length: 51 }, (_, i) => ({ sku: `S${i}`, qty: 1 }))).success).toBe(false);
    expect(CartSchema.safeParse([{ sku: 'A', qty: 6_000 }, { sku: 'A', qty: 6_000 }]).success).toBe(false);
  });
});

describe('checkout lines by region (lines of one checkout may be sourced to different locations)', () => {
  const regional: CheckoutEvent = {
    type: 'CheckoutStarted',
    data: { checkoutId: 'chk_2', customerId: 'ann', lines: withRegion([{ sku: 'A', qty: 1, region: 'us' }, { sku: 'B', qty: 2 }], 'eu'), ttlSeconds: 300, requestHash: 'h' },
  };

  it("each line's reserve carries its region, else the checkout's; none named: none sent", () => {
    expect(nextStep(given(regional))).toEqual({ type: 'Reserve', sku: 'A', qty: 1, region: 'us' });
    expect(nextStep(given(regional, reserved('A', 'r1')))).toEqual({ type: 'Reserve', sku: 'B', qty: 2, region: 'eu' });
    expect(nextStep(given(started))).toEqual({ type: 'Reserve', sku: 'A', qty: 1 });
  });

  it('each held line keeps the location its SKU object sourced it to (null on a SKU naming none)', () => {
    const atEwr: CheckoutEvent = { type: 'LineReserved', data: { sku: 'A', reservationId: 'r1', skuVersion: 2, location: 'EWR-1' } };
    const s = given(regional, atEwr, reserved('B', 'r2'));
    expect(s.lines.map((l) => [l.sku, l.region, l.location])).toEqual([['A', 'us', 'EWR-1'], ['B', 'eu', null]]);
    expect(readReserve('A', { ok: true, value: { reservationId: 'r1', version: 2, location: 'EWR-1' } })).toEqual({ ok: true, value: atEwr });
  });

  it('lines of one SKU merge when they name the same region, and are refused when they do not', () => {
    expect(CartSchema.parse([{ sku: 'A', qty: 1, region: 'eu' }, { sku: 'A', qty: 2, region: 'eu' }])).toEqual([{ sku: 'A', qty: 3, region: 'eu' }]);
    const mixed = CartSchema.safeParse([{ sku: 'A', qty: 1, region: 'eu' }, { sku: 'A', qty: 2 }]);
    expect(mixed.success).toBe(false);
    expect(mixed.error?.issues[0]?.message).toBe('lines of one SKU must name the same region (or none)');
  });
});
