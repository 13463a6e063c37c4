import { describe, expect, it } from 'vitest';
import type { StoredView } from '../../../durable-objects/sku/projection';
import { soldOutAtEdge } from '../../../src/api/projection';

const view = (available: number, writtenAt: number): StoredView => ({
  sku: 'S', onHand: 5, reserved: 5 - available, sold: 0, available, limitPerCustomer: null, version: 7, asOf: null, writtenAt, seq: 1,
});

describe('sold-out fast path decision', () => {
  it('refuses only on a fresh view at zero', () => {
    expect(soldOutAtEdge(view(0, 1_000), 2_000, 1_000)).toBe(true);
    expect(soldOutAtEdge(view(0, 1_000), 2_001, 1_000)).toBe(false);
    expect(soldOutAtEdge(view(1, 1_000), 1_000, 1_000)).toBe(false);
    expect(soldOutAtEdge(null, 1_000, 1_000)).toBe(false);
  });
});
