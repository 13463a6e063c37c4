import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CausalOrder, type Stamp } from '../../../src/domain/core/causalDelivery';
import { dominates } from '../../../src/domain/core/vectorClock';
import {
  checkoutOf,
  directCause,
  emptyOrder,
  evolveCheckout,
  evolveOrder,
  nextStep,
  orderView,
  requestChange,
  stampOf,
  stepCause,
  type CheckoutEvent,
  type CheckoutState,
  type JoinedEvent,
  type OrderDocument,
} from '../../../src/domain/checkout';
import { emptyLedger, record, skuLedgerDecider, type SkuCommand, type SkuLedger } from '../../../src/domain/sku';

const stamp = (stream: string, version: number, causedBy: Record<string, number> = {}): Stamp => ({ stream, version, causedBy });

describe('causal delivery', () => {
  it('holds an effect until its cause, then delivers both in causal order', () => {
    const order = new CausalOrder<Stamp>((s) => s);
    const effect = stamp('sku:B', 1, { 'checkout:x': 2 });
    expect(order.offer(effect, 10)).toEqual([]);
    expect(order.heldCount).toBe(1);
    expect(order.missing()).toEqual({ 'checkout:x': 2 });
    expect(order.oldestHeldSince()).toBe(10);
    const first = stamp('checkout:x', 1);
    expect(order.offer(first, 11)).toEqual([first]);
    expect(order.missing()).toEqual({ 'checkout:x': 2 });
    const second = stamp('checkout:x', 2, { 'sku:A': 5 });
    expect(order.offer(second, 12)).toEqual([]);
    // The checkout's second event waits for sku:A; the SKU B event waits for it, transitively.
    expect(order.missing()).toEqual({ 'sku:A': 5, 'checkout:x': 2 });
    const causes = [1, 2, 3, 4, 5].map((v) => stamp('sku:A', v));
    expect(causes.slice(0, 4).flatMap((c) => order.offer(c, 13))).toEqual(causes.slice(0, 4));
    expect(order.offer(causes[4]!, 14)).toEqual([causes[4], second, effect]);
    expect(order.heldCount).toBe(0);
    expect(order.oldestHeldSince()).toBeNull();
    expect(order.delivered).toEqual({ 'sku:A': 5, 'sku:B': 1, 'checkout:x': 2 });
  });

  it('drops a redelivered event, delivered or still held, and fills a stream gap in order', () => {
    const order = new CausalOrder<Stamp>((s) => s);
    const [a1, a2, a3] = [1, 2, 3].map((v) => stamp('sku:A', v));
    expect(order.offer(a3!, 0)).toEqual([]);
    expect(order.offer(a3!, 0)).toEqual([]);
    expect(order.heldCount).toBe(1);
    expect(order.offer(a1!, 0)).toEqual([a1]);
    expect(order.offer(a1!, 0)).toEqual([]);
    expect(order.offer(a2!, 0)).toEqual([a2, a3]);
    expect(order.deliveredOf('sku:A')).toBe(3);
  });
});

// --- A history made by the real deciders: checkouts competing for scarce stock, with buyers
// reserving on their own, WMS confirmations, expiries, completions and cancellations. ---

const SKUS = ['A', 'B', 'C', 'D'];
const checkoutIdOf = (i: number) => `chk_${i.toString(16).padStart(32, '0')}`;

type Op =
  | { kind: 'step'; checkout: number }
  | { kind: 'change'; checkout: number; change: 'complete' | 'cancel' }
  | { kind: 'solo'; sku: number; qty: number }
  | { kind: 'confirm'; sku: number; pick: number }
  | { kind: 'expire'; sku: number; pick: number };

type History = { committed: JoinedEvent[] };

function simulate(carts: { sku: number; qty: number }[][], ops: Op[]): History {
  const committed: JoinedEvent[] = [];
  const skus = new Map<string, SkuLedger>();
  let now = Date.parse('2026-11-25T10:00:00Z');
  const runSku = (sku: string, command: SkuCommand) => {
    const decision = skuLedgerDecider.decide(command, skus.get(sku)!, now);
    if (decision.ok) {
      for (const event of decision.value) {
        record(skus.get(sku)!, event);
        committed.push({ kind: 'sku', event });
      }
    }
    return decision;
  };
  SKUS.forEach((sku, i) => {
    skus.set(sku, emptyLedger());
    runSku(sku, { type: 'SetStock', data: { sku, onHand: 3 + i } });
  });

  const checkouts: (CheckoutState | null)[] = carts.map(() => null);
  const append = (i: number, event: CheckoutEvent) => {
    const state = evolveCheckout(checkouts[i]!, event);
    checkouts[i] = state;
    const record = { ...event, checkoutId: state.checkoutId, version: state.version, at: new Date(now).toISOString(), causedBy: directCause(event) };
    committed.push({ kind: 'checkout', event: record });
  };
  const reservationVersion = (sku: string, id: string) => skus.get(sku)!.reservations.get(id)?.version ?? null;

  const step = (i: number) => {
    if (!checkouts[i]) {
      const lines = [...new Map(carts[i]!.map((l) => [SKUS[l.sku]!, l.qty]))].sort().map(([sku, qty]) => ({ sku, qty }));
      append(i, { type: 'CheckoutStarted', data: { checkoutId: checkoutIdOf(i), customerId: `c${i}`, lines, ttlSeconds: 60, requestHash: 'h' } });
      return;
    }
    const s = checkouts[i];
    const next = nextStep(s);
    if (!next) return;
    const ref = { customerId: s.customerId };
    if (next.type === 'Reserve') {
      const reservationId = `${s.checkoutId}-${next.sku}`;
      const d = runSku(next.sku, { type: 'Reserve', data: { ...ref, sku: next.sku, reservationId, qty: next.qty, ttlSeconds: 60 }, causedBy: stepCause(s) });
      if (d.ok) append(i, { type: 'LineReserved', data: { sku: next.sku, reservationId, skuVersion: reservationVersion(next.sku, reservationId)! } });
      else append(i, { type: 'LineRefused', data: { sku: next.sku, code: d.error.code, details: {} } });
      return;
    }
    if (next.type === 'Abandon') {
      // Each step here is recorded with its answer, so an abandoned line never holds anything.
      append(i, { type: 'LineReleased', data: { sku: next.sku, skuVersion: null } });
      return;
    }
    const command = next.type === 'Release' ? 'CancelReservation' : 'CompletePurchase';
    const d = runSku(next.sku, { type: command, data: { ...ref, reservationId: next.reservationId }, causedBy: stepCause(s) });
    const skuVersion = d.ok ? reservationVersion(next.sku, next.reservationId) : null;
    const bought = (d.ok && skus.get(next.sku)!.reservations.get(next.reservationId)!.status === 'completed') || (!d.ok && d.error.code === 'reservation_completed');
    append(i, bought ? { type: 'LineCompleted', data: { sku: next.sku, skuVersion } } : { type: 'LineReleased', data: { sku: next.sku, skuVersion } });
  };

  const held = (sku: string, pick: number) => {
    const open = [...skus.get(sku)!.reservations.values()].filter((r) => r.status === 'held');
    return open.length ? open[pick % open.length]! : null;
  };
  let solo = 0;
  for (const op of ops) {
    now += 1_000;
    if (op.kind === 'step') step(op.checkout % carts.length);
    else if (op.kind === 'change') {
      const i = op.checkout % carts.length;
      const decision = checkouts[i] ? requestChange(checkouts[i], op.change) : 'nothing';
      if (typeof decision === 'object') append(i, decision);
    } else {
      const sku = SKUS[op.sku % SKUS.length]!;
      if (op.kind === 'solo') runSku(sku, { type: 'Reserve', data: { sku, reservationId: `solo-${solo++}`, customerId: 'walk-in', qty: op.qty, ttlSeconds: 60 } });
      const r = op.kind === 'solo' ? null : held(sku, op.pick);
      if (r && op.kind === 'confirm') runSku(sku, { type: 'ConfirmAllocation', data: { reservationId: r.reservationId, allocationId: `a-${r.reservationId}` }, causedBy: { [`sku:${sku}`]: r.reservedAtVersion } });
      if (r && op.kind === 'expire') {
        now = Date.parse(r.expiresAt);
        runSku(sku, { type: 'ExpireReservation', data: { reservationId: r.reservationId } });
      }
    }
  }
  // Drive every checkout to rest, as the coordinator's alarm would.
  for (let round = 0; round < 200; round++) carts.forEach((_, i) => step(i));
  return { committed };
}

/** The consumer as the bridge runs it: causal order in front of the order documents. */
function consume(deliveries: JoinedEvent[], check?: (delivered: JoinedEvent, before: Record<string, number>, docs: Map<string, OrderDocument>) => void) {
  const order = new CausalOrder<JoinedEvent>(stampOf);
  const docs = new Map<string, OrderDocument>();
  const owners = new Map<string, string>();
  const applied: Record<string, number> = {};
  for (const arriving of deliveries) {
    for (const joined of order.offer(arriving, 0)) {
      const before = { ...applied };
      applied[stampOf(joined).stream] = stampOf(joined).version;
      const checkoutId = checkoutOf(joined, (id) => owners.get(id));
      if (checkoutId) {
        if (joined.kind === 'sku' && joined.event.type === 'StockReserved') owners.set(joined.event.data.reservationId, checkoutId);
        docs.set(checkoutId, evolveOrder(docs.get(checkoutId) ?? emptyOrder(checkoutId), joined));
      }
      check?.(joined, before, docs);
    }
  }
  return { order, docs };
}

/** Kafka's view: each stream in order (its partition), streams interleaved at random, some records twice. */
function deliverShuffled(committed: JoinedEvent[], picks: number[], duplicates: number[]): JoinedEvent[] {
  const streams = new Map<string, JoinedEvent[]>();
  for (const e of committed) {
    const key = stampOf(e).stream;
    streams.set(key, [...(streams.get(key) ?? []), e]);
  }
  const queues = [...streams.values()];
  const out: JoinedEvent[] = [];
  let p = 0;
  while (queues.some((q) => q.length)) {
    const open = queues.filter((q) => q.length);
    out.push(open[(picks[p++ % Math.max(picks.length, 1)] ?? 0) % open.length]!.shift()!);
  }
  for (const d of duplicates) if (out.length) out.splice(d % (out.length + 1), 0, out[(d * 7) % out.length]!);
  return out;
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('step' as const), checkout: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('change' as const), checkout: fc.nat(20), change: fc.constantFrom('complete' as const, 'cancel' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('solo' as const), sku: fc.nat(3), qty: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('confirm' as const), sku: fc.nat(3), pick: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), sku: fc.nat(3), pick: fc.nat(10) }) },
);
const cartArb = fc.array(fc.record({ sku: fc.nat(3), qty: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 4 });

describe('order view fed in a shuffled cross-partition order', () => {
  it('never applies an effect before its cause, and converges to the in-order state', () => {
    fc.assert(
      fc.property(
        fc.array(cartArb, { minLength: 1, maxLength: 6 }),
        fc.array(opArb, { maxLength: 80 }),
        fc.array(fc.nat(1_000), { maxLength: 400 }),
        fc.array(fc.nat(10_000), { maxLength: 20 }),
        (carts, ops, picks, duplicates) => {
          const { committed } = simulate(carts, ops);
          const inOrder = consume(committed);
          const shuffled = consume(deliverShuffled(committed, picks, duplicates), (joined, before, docs) => {
            const s = stampOf(joined);
            // Causal: everything it names was applied first, and its own stream's previous version.
            expect(dominates(before, s.causedBy)).toBe(true);
            expect(before[s.stream] ?? 0).toBe(s.version - 1);
            // The view never shows an effect without its cause.
            for (const doc of docs.values()) {
              if (Object.keys(doc.reservations).length > 0) expect(doc.checkout).not.toBeNull();
              for (const line of doc.checkout?.lines ?? []) if (line.reservationId) expect(doc.reservations[line.reservationId]).toBeDefined();
            }
          });
          expect(shuffled.order.heldCount).toBe(0);
          expect(shuffled.docs).toEqual(inOrder.docs);
          const views = (docs: Map<string, OrderDocument>) => [...docs.keys()].sort().map((id) => orderView(docs.get(id)!));
          expect(views(shuffled.docs)).toEqual(views(inOrder.docs));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('checkouts competing for scarce stock: each fully reserved or holding nothing, as the view shows it', () => {
    // Round robin: c0 takes A×3, c1 takes B×1, then c0 wants B×4 of the 3 left and compensates.
    const { committed } = simulate([[{ sku: 0, qty: 3 }, { sku: 1, qty: 4 }], [{ sku: 1, qty: 1 }, { sku: 2, qty: 2 }]], []);
    const { docs } = consume([...committed].reverse().concat(committed));
    const [failed, reserved] = [...docs.values()].sort((a, b) => a.checkoutId.localeCompare(b.checkoutId)).map(orderView);
    expect(failed!.status).toBe('failed');
    expect(failed!.lines.map((l) => [l.sku, l.state, l.purchase, l.releaseReason])).toEqual([['A', 'released', 'released', 'cancelled'], ['B', 'refused', null, null]]);
    expect(reserved!.status).toBe('reserved');
    expect(reserved!.lines.map((l) => [l.sku, l.state, l.purchase, l.allocation])).toEqual([['B', 'held', 'held', 'pending'], ['C', 'held', 'held', 'pending']]);
  });
});
