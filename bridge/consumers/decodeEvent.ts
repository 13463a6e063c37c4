import { SkuEventSchema, type SkuEvent } from '../../src/domain/sku';
import type { ConsumedRecord } from '../eventLog/port';

/** A record of the events topic as a SKU event; null if it is not one, or not keyed by its SKU. */
export function decodeSkuEvent(record: ConsumedRecord): SkuEvent | null {
  try {
    const parsed = SkuEventSchema.safeParse(JSON.parse(record.value));
    return parsed.success && parsed.data.sku === record.key ? parsed.data : null;
  } catch {
    return null;
  }
}
