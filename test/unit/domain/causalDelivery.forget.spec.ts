import { describe, expect, it } from 'vitest';
import { CausalOrder, type Stamp } from '../../../src/domain/core/causalDelivery';

const stamp = (stream: string, version: number, causedBy: Record<string, number> = {}): Stamp => ({ stream, version, causedBy });
const deliverAll = (order: CausalOrder<Stamp>, stamps: Stamp[]) => stamps.flatMap((s) => order.offer(s, 0));

describe('causal delivery: forgetting a stream', () => {
  it('drops the delivered version of a stream, so memory holds only the streams not forgotten', () => {
    const order = new CausalOrder<Stamp>((s) => s);
    const N = 1_000;
    for (let n = 0; n < N; n++) {
      const stream = `checkout:${n}`;
      deliverAll(order, [stamp(stream, 1), stamp('sku:A', n + 1, { [stream]: 1 }), stamp(stream, 2, { 'sku:A': n + 1 })]);
    }
    expect(order.streams).toBe(N + 1);
    for (let n = 0; n < N; n++) expect(order.forget(`checkout:${n}`)).toEqual([]);
    expect(order.streams).toBe(1);
    expect(order.delivered).toEqual({ 'sku:A': N });
    expect(order.deliveredOf('checkout:0')).toBe(0);
    expect(order.heldCount).toBe(0);
  });

  it('drops the held events of the stream, wherever they are filed, and leaves the others held with them', () => {
    const order = new CausalOrder<Stamp>((s) => s);
    deliverAll(order, [stamp('checkout:x', 1)]);
    const x2 = stamp('checkout:x', 2, { 'sku:A': 2 });
    const x3 = stamp('checkout:x', 3);
    const y1 = stamp('checkout:y', 1, { 'sku:A': 2 });
    expect(deliverAll(order, [x2, y1, x3])).toEqual([]);
    expect(order.heldCount).toBe(3);
    expect(order.missing()).toEqual({ 'sku:A': 2, 'checkout:x': 2 });

    expect(order.forget('checkout:x')).toEqual([]);
    expect(order.heldCount).toBe(1);
    expect(order.missing()).toEqual({ 'sku:A': 2 });
    // A copy of a dropped event is no longer taken for a duplicate of a held one.
    expect(order.offer(x3, 1)).toEqual([]);
    expect(order.heldCount).toBe(2);
    expect(order.forget('checkout:x')).toEqual([]);
    expect(deliverAll(order, [stamp('sku:A', 1), stamp('sku:A', 2)])).toEqual([stamp('sku:A', 1), stamp('sku:A', 2), y1]);
    expect(order.heldCount).toBe(0);
    expect(order.oldestHeldSince()).toBeNull();
    expect(order.missing()).toEqual({});
  });

  it('waives the forgotten stream as a cause of events held for it: they are answered once nothing else holds them', () => {
    const order = new CausalOrder<Stamp>((s) => s);
    deliverAll(order, [stamp('checkout:x', 1)]);
    const free = stamp('sku:A', 1, { 'checkout:x': 2 });
    const alsoB = stamp('sku:C', 1, { 'checkout:x': 3, 'sku:B': 1 });
    const next = stamp('sku:A', 2);
    expect(deliverAll(order, [free, alsoB, next])).toEqual([]);
    expect(order.forget('checkout:x')).toEqual([free, next]);
    expect(order.missing()).toEqual({ 'sku:B': 1 });
    expect(order.offer(stamp('sku:B', 1), 0)).toEqual([stamp('sku:B', 1), alsoB]);
    expect(order.heldCount).toBe(0);
    expect(order.delivered).toEqual({ 'sku:A': 2, 'sku:B': 1, 'sku:C': 1 });
  });
});

describe('causal delivery: what has not arrived', () => {
  it('reports the versions held events wait for that are neither delivered nor held, unlike missing()', () => {
    const order = new CausalOrder<Stamp>((s) => s);
    deliverAll(order, [stamp('sku:A', 1)]);
    // A2 arrived but waits for the checkout; A3 waits for A2 (held, so not absent); A5 waits for A4, which never came.
    expect(deliverAll(order, [stamp('sku:A', 2, { 'checkout:x': 1 }), stamp('sku:A', 3), stamp('sku:A', 5)])).toEqual([]);
    expect(order.missing()).toEqual({ 'checkout:x': 1, 'sku:A': 4 });
    expect(order.absent()).toEqual({ 'checkout:x': 1, 'sku:A': 4 });
    expect(order.offer(stamp('sku:A', 4), 0)).toEqual([]);
    expect(order.missing()).toEqual({ 'checkout:x': 1, 'sku:A': 4 });
    expect(order.absent()).toEqual({ 'checkout:x': 1 });
  });
});
