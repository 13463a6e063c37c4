import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CausalOrder, type Stamp } from '../../../src/domain/core/causalDelivery';

/**
 * Causal delivery at sizes where cost that grows with history shows: the previous version was
 * quadratic in the held events (10,000 held took 88 s) and spread its wake lists into
 * `push(...)`, which throws past ~125,000. The quadratic version would take hours here; a linear
 * one takes a second or two on a quiet machine, so the generous bound below fails only on a
 * regression of the order, not on a loaded machine (the speed itself is `bench:history`'s).
 */
const AT_SCALE = { timeout: 60_000 };

const stamp = (stream: string, version: number, causedBy: Record<string, number> = {}): Stamp => ({ stream, version, causedBy });

/** A total order of `count` events round-robin over `streams`, each caused by the one before it. */
function chain(count: number, streams: number): Stamp[] {
  const events: Stamp[] = [];
  for (let i = 0; i < count; i++) {
    const previous = events[i - 1];
    events.push(stamp(`s${i % streams}`, Math.floor(i / streams) + 1, previous ? { [previous.stream]: previous.version } : {}));
  }
  return events;
}

/** Fails unless every event was delivered once, after its stream's previous version and its causes. */
function expectCausal(delivered: Stamp[], expected: number): void {
  const seen = new Map<string, number>();
  const early: string[] = [];
  for (const s of delivered) {
    if ((seen.get(s.stream) ?? 0) + 1 !== s.version) early.push(`${s.stream}@${s.version} after ${seen.get(s.stream) ?? 0}`);
    for (const [stream, version] of Object.entries(s.causedBy)) if ((seen.get(stream) ?? 0) < version) early.push(`${s.stream}@${s.version} before ${stream}@${version}`);
    seen.set(s.stream, s.version);
  }
  expect(early.slice(0, 5)).toEqual([]);
  expect(delivered.length).toBe(expected);
}

describe('causal delivery at scale', AT_SCALE, () => {
  it('holds 300,000 events of one stream offered in reverse, then delivers all once, in version order, when the first arrives', () => {
    const count = 300_000;
    const order = new CausalOrder<Stamp>((s) => s);
    const events = Array.from({ length: count }, (_, i) => stamp('sku:A', i + 1));
    // Plain counts in the loops: an `expect` per event would cost more than the code under test.
    let early = 0;
    for (let v = count; v >= 2; v--) early += order.offer(events[v - 1]!, count - v).length;
    // Redelivered while held: dropped.
    for (let v = count; v >= 2; v -= 1_000) early += order.offer(events[v - 1]!, 0).length;
    expect(early).toBe(0);
    expect(order.heldCount).toBe(count - 1);
    expect(order.oldestHeldSince()).toBe(0);
    expect(order.missing()).toEqual({ 'sku:A': count - 1 });

    const out = order.offer(events[0]!, count);
    expect(out.length).toBe(count);
    expect(out.findIndex((e, i) => e !== events[i])).toBe(-1);
    expect(order.heldCount).toBe(0);
    expect(order.oldestHeldSince()).toBeNull();
    expect(order.missing()).toEqual({});
    expect(order.deliveredOf('sku:A')).toBe(count);
    // Redelivered once delivered: dropped.
    expect(order.offer(events[0]!, 0)).toEqual([]);
    expect(order.offer(events[count - 1]!, 0)).toEqual([]);
  });

  it('holds a 100,000-event chain across 3 streams offered in reverse, each twice, and delivers it in causal order', () => {
    const count = 100_000;
    const events = chain(count, 3);
    const order = new CausalOrder<Stamp>((s) => s);
    const out: Stamp[] = [];
    for (let i = count - 1; i >= 1; i--) {
      for (const e of order.offer(events[i]!, 0)) out.push(e);
      for (const e of order.offer(events[i]!, 0)) out.push(e);
    }
    expect(out.length).toBe(0);
    expect(order.heldCount).toBe(count - 1);
    for (const e of order.offer(events[0]!, 1)) out.push(e);
    expectCausal(out, count);
    expect(order.heldCount).toBe(0);
    expect(order.delivered).toEqual(Object.fromEntries([0, 1, 2].map((s) => [`s${s}`, Math.ceil((count - s) / 3)])));
  });

  it('holds a 100,000-event chain offered cause-last per stream pair and releases it piecewise', () => {
    // Swap each pair: the effect arrives first and is held, its cause releases it at once.
    const count = 100_000;
    const events = chain(count, 3);
    const order = new CausalOrder<Stamp>((s) => s);
    const out: Stamp[] = [];
    let wrong = 0;
    for (let i = 0; i < count; i += 2) {
      if (events[i + 1] && (order.offer(events[i + 1]!, i).length !== 0 || order.heldCount !== 1)) wrong++;
      for (const e of order.offer(events[i]!, i)) out.push(e);
      if (order.heldCount !== 0) wrong++;
    }
    expect(wrong).toBe(0);
    expectCausal(out, count);
  });

  it('keeps reporting an event stuck for good while 200,000 others are held and released after it', () => {
    const order = new CausalOrder<Stamp>((s) => s);
    expect(order.offer(stamp('sku:B', 1, { 'checkout:lost': 1 }), 1)).toEqual([]);
    let wrong = 0;
    for (let v = 1; v <= 200_000; v += 2) {
      if (order.offer(stamp('sku:A', v + 1), 10 + v).length !== 0) wrong++;
      if (order.oldestHeldSince() !== 1) wrong++;
      if (order.offer(stamp('sku:A', v), 10 + v).length !== 2) wrong++;
    }
    expect(wrong).toBe(0);
    expect(order.heldCount).toBe(1);
    expect(order.missing()).toEqual({ 'checkout:lost': 1 });
    expect(order.offer(stamp('checkout:lost', 1), 500_000).length).toBe(2);
    expect(order.oldestHeldSince()).toBeNull();
  });

  it('reports the oldest held event still held, whichever are released first', () => {
    const order = new CausalOrder<Stamp>((s) => s);
    order.offer(stamp('a', 2), 1);
    order.offer(stamp('b', 2), 2);
    order.offer(stamp('c', 2, { b: 2 }), 3);
    order.offer(stamp('b', 1), 4);
    expect(order.oldestHeldSince()).toBe(1);
    order.offer(stamp('a', 1), 5);
    // c 2 was held since 3, woken by b 2 and held again for c 1: its date stays.
    expect(order.oldestHeldSince()).toBe(3);
    expect(order.missing()).toEqual({ c: 1 });
    expect(order.offer(stamp('c', 1), 6).map((s) => `${s.stream}${s.version}`)).toEqual(['c1', 'c2']);
    expect(order.oldestHeldSince()).toBeNull();
  });
});

// --- Against a plain model: the definition, checked by rescanning every held event until none moves. ---

class Model {
  readonly delivered = new Map<string, number>();
  held: { s: Stamp; since: number }[] = [];
  #of = (stream: string) => this.delivered.get(stream) ?? 0;
  blocker(s: Stamp): [string, number] | null {
    if (this.#of(s.stream) < s.version - 1) return [s.stream, s.version - 1];
    for (const [stream, version] of Object.entries(s.causedBy)) if (stream !== s.stream && this.#of(stream) < version) return [stream, version];
    return null;
  }
  offer(s: Stamp, now: number): Stamp[] {
    if (s.version <= this.#of(s.stream) || this.held.some((h) => h.s.stream === s.stream && h.s.version === s.version)) return [];
    this.held.push({ s, since: now });
    const out: Stamp[] = [];
    for (let moved = true; moved; ) {
      moved = false;
      for (const h of this.held) {
        if (this.blocker(h.s)) continue;
        this.delivered.set(h.s.stream, h.s.version);
        out.push(h.s);
        this.held = this.held.filter((x) => x !== h);
        moved = true;
        break;
      }
    }
    return out;
  }
  missing(): Record<string, number> {
    const needs: Record<string, number> = {};
    for (const { s } of this.held) {
      const [stream, version] = this.blocker(s)!;
      needs[stream] = Math.max(needs[stream] ?? 0, version);
    }
    return needs;
  }
}

const key = (s: Stamp) => `${s.stream}@${s.version}`;

describe('causal delivery against a rescanning model', () => {
  it('delivers, holds, dates and reports what is missing as the model does, on shuffled histories of up to 1,500 events with duplicates', () => {
    const eventArb = fc.record({ stream: fc.nat(5), causes: fc.array(fc.nat(), { maxLength: 3 }) });
    fc.assert(
      fc.property(
        fc.array(eventArb, { minLength: 1, maxLength: 1_500, size: 'max' }),
        fc.array(fc.nat(), { maxLength: 1_500, size: 'max' }),
        fc.array(fc.nat(), { maxLength: 200 }),
        fc.nat(50),
        (specs, swaps, duplicates, dropTail) => {
          // A history: each event names some earlier ones (hence causally consistent).
          const versions = new Map<string, number>();
          const history: Stamp[] = [];
          for (const [i, spec] of specs.entries()) {
            const stream = `s${spec.stream}`;
            const version = (versions.get(stream) ?? 0) + 1;
            versions.set(stream, version);
            const causedBy: Record<string, number> = {};
            for (const c of spec.causes) {
              if (i === 0) break;
              const cause = history[c % i]!;
              causedBy[cause.stream] = Math.max(causedBy[cause.stream] ?? 0, cause.version);
            }
            history.push(stamp(stream, version, causedBy));
          }
          // Delivered in any order, some twice, and the last few maybe never: some stay held.
          const arrivals = history.slice(0, Math.max(1, history.length - dropTail));
          for (let i = arrivals.length - 1; i > 0; i--) {
            const j = (swaps[i] ?? i) % (i + 1);
            [arrivals[i], arrivals[j]] = [arrivals[j]!, arrivals[i]!];
          }
          for (const d of duplicates) arrivals.splice(d % (arrivals.length + 1), 0, arrivals[(d * 7) % arrivals.length]!);

          const order = new CausalOrder<Stamp>((s) => s);
          const model = new Model();
          const got: Stamp[] = [];
          arrivals.forEach((s, now) => {
            const out = order.offer(s, now);
            const expected = model.offer(s, now);
            expect(out.map(key).sort()).toEqual(expected.map(key).sort());
            for (const e of out) got.push(e);
            expect(order.heldCount).toBe(model.held.length);
            expect(order.oldestHeldSince()).toBe(model.held.length ? Math.min(...model.held.map((h) => h.since)) : null);
            expect(order.missing()).toEqual(model.missing());
          });
          expect(order.delivered).toEqual(Object.fromEntries(model.delivered));
          expectCausal(got, model.delivered.size ? [...model.delivered.values()].reduce((a, b) => a + b, 0) : 0);
        },
      ),
      { numRuns: 15 },
    );
  }, 30_000);
});
