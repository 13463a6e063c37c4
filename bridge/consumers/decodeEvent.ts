import { upcastCheckoutRecord, type CheckoutRecord } from '../../src/domain/checkout';
import { upcastSkuEvent, type SkuEvent } from '../../src/domain/sku';
import type { EdgeClient } from '../edge/client';
import type { ConsumedRecord } from '../eventLog/port';

/**
 * A record of the events topic read through the domain's upcasters (ADR 0012): today's event;
 * for an old version whose upcast needs its reservation's row (a v1 completion has no `qty`),
 * where the edge, which keeps that row, serves it in today's shape; for a version newer than
 * this bridge, that it must wait for an upgrade; null if it is not a SKU event keyed by its SKU.
 */
export type DecodedSkuRecord = { event: SkuEvent } | { fromEdge: { sku: string; version: number } } | { newer: string } | null;

export function decodeSkuRecord(record: ConsumedRecord): DecodedSkuRecord {
  const raw = parse(record.value);
  const read = upcastSkuEvent(raw);
  if (read.ok) return read.value.event.sku === record.key ? { event: read.value.event } : null;
  if (read.error.code === 'newer_version') return { newer: read.error.message };
  if (read.error.code !== 'missing_facts') return null;
  const { sku, version } = raw as { sku?: unknown; version?: unknown };
  return sku === record.key && typeof version === 'number' && Number.isInteger(version) && version >= 1 ? { fromEdge: { sku, version } } : null;
}

/** A record as today's event, for readers without an edge: an old version that needs a row is null. */
export function decodeSkuEvent(record: ConsumedRecord): SkuEvent | null {
  const decoded = decodeSkuRecord(record);
  return decoded && 'event' in decoded ? decoded.event : null;
}

/**
 * Records as today's events, in order: old versions that need a row are read from the edge (a
 * bounded history: no version written today needs it); null for what is undecodable. Throws when
 * the edge cannot be asked or a record is newer than this bridge, so the batch is delivered again
 * (after the upgrade), never dead-lettered.
 */
export async function readSkuRecords(records: readonly ConsumedRecord[], edge: EdgeClient): Promise<(SkuEvent | null)[]> {
  const events: (SkuEvent | null)[] = [];
  for (const record of records) {
    const decoded = decodeSkuRecord(record);
    if (!decoded || 'event' in decoded) {
      events.push(decoded?.event ?? null);
      continue;
    }
    if ('newer' in decoded) throw new NewerRecordError(record, decoded.newer);
    const { sku, version } = decoded.fromEdge;
    const [served] = await edge.eventsBetween(sku, version - 1, version + 1);
    events.push(served?.version === version ? served : null);
  }
  return events;
}

/** A record of the checkouts topic in today's shape; null if it is not one, or not keyed by its checkout; throws if newer than this bridge. */
export function decodeCheckoutRecord(record: ConsumedRecord): CheckoutRecord | null {
  const read = upcastCheckoutRecord(parse(record.value));
  if (!read.ok && read.error.code === 'newer_version') throw new NewerRecordError(record, read.error.message);
  return read.ok && read.value.event.checkoutId === record.key ? read.value.event : null;
}

/** A record written by newer code than this bridge: it is read again once the bridge is upgraded (deploy readers first). */
export class NewerRecordError extends Error {
  override readonly name = 'NewerRecordError';
  constructor(record: ConsumedRecord, reason: string) {
    super(`${record.topic} offset ${record.offset} (${record.key}): ${reason}; upgrade this bridge to read it`);
  }
}

function parse(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}
