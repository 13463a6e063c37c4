import { describe, expect, it } from 'vitest';
import { RelayBatchSchema } from '../../../src/contract/relayBatch';

const event = (sku: string, version: number) => ({
  type: 'StockReceived',
  sku,
  version,
  at: '2026-11-25T10:00:00.000Z',
  causedBy: { [`sku:${sku}`]: version },
  data: { qty: 1 },
});

describe('relay batch', () => {
  it('accepts one SKU’s contiguous events', () => {
    expect(RelayBatchSchema.safeParse({ sku: 'A', events: [event('A', 4), event('A', 5)] }).success).toBe(true);
  });

  it('refuses holes, reordering, foreign SKUs, empty batches and unknown fields', () => {
    const issues = (value: unknown) => RelayBatchSchema.safeParse(value).error?.issues.map((i) => i.message);
    expect(issues({ sku: 'A', events: [event('A', 1), event('A', 3)] })).toEqual(['version 3 does not follow 1']);
    expect(issues({ sku: 'A', events: [event('A', 2), event('A', 1)] })).toEqual(['version 1 does not follow 2']);
    expect(issues({ sku: 'A', events: [event('B', 1)] })).toEqual(['event of B in a batch of A']);
    expect(RelayBatchSchema.safeParse({ sku: 'A', events: [] }).success).toBe(false);
    expect(RelayBatchSchema.safeParse({ sku: 'A', events: [event('A', 1)], extra: 1 }).success).toBe(false);
  });
});
