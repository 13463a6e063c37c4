import { describe, expect, it } from 'vitest';
import { SoldOutMemory } from '../../../src/api/soldOut';
import { streamOf } from '../../../src/domain/sku';

describe('the edge\'s memory of sold-out refusals', () => {
  it('holds a refusal for the window from when its request was sent, not longer', () => {
    const memory = new SoldOutMemory(300);
    memory.refused('A', 1_000);
    expect([1_000, 1_300, 1_301].map((now) => memory.soldOutSince('A', 1, now))).toEqual([1_000, 1_000, null]);
  });

  it('a sharded SKU is sold out only while every shard has a fresh refusal, since the oldest of them', () => {
    const memory = new SoldOutMemory(300);
    memory.refused(streamOf('A', 0), 1_000);
    expect(memory.soldOutSince('A', 2, 1_050)).toBeNull();
    memory.refused(streamOf('A', 1), 1_100);
    expect([1_100, 1_300, 1_301].map((now) => memory.soldOutSince('A', 2, now))).toEqual([1_000, 1_000, null]);
  });

  it('one shard refusing a single unit speaks for the whole SKU (it refuses only after its siblings had none to lend), for the window', () => {
    const memory = new SoldOutMemory(300);
    memory.refused(streamOf('A', 3), 1_000, { sku: 'A' });
    expect([1_000, 1_300, 1_301].map((now) => memory.soldOutSince('A', 64, now))).toEqual([1_000, 1_000, null]);
    memory.refused(streamOf('A', 3), 2_000, { sku: 'A' });
    memory.forget('A', [streamOf('A', 3)]);
    expect(memory.soldOutSince('A', 64, 2_001)).toBeNull();
  });

  it('another isolate\'s word keeps its own time, and a grant forgets both', () => {
    const memory = new SoldOutMemory(300);
    memory.sawSkuSoldOut('A', 900);
    expect([memory.soldOutSince('A', 4, 1_200), memory.soldOutSince('A', 4, 1_201)]).toEqual([900, null]);
    memory.sawSkuSoldOut('B', 1_000);
    memory.refused('B', 1_000);
    memory.forget('B', ['B']);
    expect(memory.soldOutSince('B', 1, 1_001)).toBeNull();
  });

  it('keeps at most its bound of entries, the oldest going first', () => {
    const memory = new SoldOutMemory(300, 2);
    for (const sku of ['A', 'B', 'C']) memory.refused(sku, 1_000);
    expect(['A', 'B', 'C'].map((sku) => memory.soldOutSince(sku, 1, 1_000))).toEqual([null, 1_000, 1_000]);
  });
});
