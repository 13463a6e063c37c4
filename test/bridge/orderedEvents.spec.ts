import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { consumeInOrder, memoryVersions } from '../../bridge/consumers/orderedEvents';
import type { EdgeClient } from '../../bridge/edge/client';
import { EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { createMetrics } from '../../bridge/metrics';
import type { SkuEvent } from '../../src/domain/sku';
import { embeddedLogForFile } from './support/embeddedLog';

const log = embeddedLogForFile('ordered-events-');

const at = '2026-11-25T10:00:00.000Z';
const stockSet = (sku: string): SkuEvent => ({ type: 'StockSet', sku, version: 1, at, causedBy: {}, data: { onHand: 5, limitPerCustomer: null } });
const reserved = (sku: string, version: number, causedBy: Record<string, number>): SkuEvent => ({
  type: 'StockReserved', sku, version, at, causedBy, data: { reservationId: `${sku}-${version}`, customerId: 'ann', qty: 1, expiresAt: at },
});
const record = (e: SkuEvent) => ({ key: e.sku, value: JSON.stringify(e) });

describe('ordered consumer across SKUs', () => {
  it('applies the other SKU events an event names in causedBy first, pulled from the edge, and skips their later copies', async () => {
    // A checkout reserved OC-A, then OC-B: B's event names A's and reaches the log first.
    const aEvents = [stockSet('OC-A'), reserved('OC-A', 2, { 'checkout:chk_x': 1 })];
    const bEvents = [stockSet('OC-B'), reserved('OC-B', 2, { 'checkout:chk_x': 2, 'sku:OC-A': 2 })];
    await log.append(EVENTS_TOPIC, [...bEvents, ...aEvents].map(record));
    const pulls: string[] = [];
    const edge = {
      eventsBetween: async (sku: string, after: number, before: number) => {
        pulls.push(`${sku} (${after}, ${before})`);
        return aEvents.filter((e) => e.sku === sku && e.version > after && e.version < before);
      },
    } as unknown as EdgeClient;
    const applied: string[] = [];
    const metrics = createMetrics();
    const subscription = await consumeInOrder({
      log, groupId: 'causal-pull', fromBeginning: true, edge, versions: memoryVersions(), metrics, logger: pino({ level: 'silent' }),
      apply: async (e) => void applied.push(`${e.sku}@${e.version}`),
    });
    for (let i = 0; i < 100 && applied.length < 4; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    await subscription.stop();
    expect(applied).toEqual(['OC-B@1', 'OC-A@1', 'OC-A@2', 'OC-B@2']);
    expect(pulls).toEqual(['OC-A (0, 3)']);
    const text = await metrics.registry.metrics();
    expect(text).toContain('bridge_consumer_causal_pulls_total{group="causal-pull"} 2');
    expect(text).toContain('bridge_consumer_duplicates_total{group="causal-pull"} 2');
  });
  it('pulls the causes a batch names in another partition once per SKU, up to the latest it needs, not once per event', async () => {
    // OC-C's checkout lines each name the OC-D version reserved just before; OC-D's events are
    // in another partition, not read yet.
    const dEvents = [stockSet('OC-D'), ...[2, 3, 4, 5].map((v) => reserved('OC-D', v, {}))];
    const cEvents = [stockSet('OC-C'), ...[2, 3, 4, 5].map((v) => reserved('OC-C', v, { 'sku:OC-D': v }))];
    await log.append(EVENTS_TOPIC, cEvents.map(record));
    const pulls: string[] = [];
    const edge = {
      eventsBetween: async (sku: string, after: number, before: number) => {
        pulls.push(`${sku} (${after}, ${before})`);
        return dEvents.filter((e) => e.sku === sku && e.version > after && e.version < before);
      },
    } as unknown as EdgeClient;
    const applied: string[] = [];
    const subscription = await consumeInOrder({
      log, groupId: 'causal-batch', fromBeginning: true, edge, versions: memoryVersions(), metrics: createMetrics(), logger: pino({ level: 'silent' }),
      apply: async (e) => void (e.sku.startsWith('OC-C') || e.sku.startsWith('OC-D') ? applied.push(`${e.sku}@${e.version}`) : undefined),
    });
    for (let i = 0; i < 100 && applied.length < 10; i++) await new Promise((r) => setTimeout(r, 50));
    await subscription.stop();
    // (The log file is the spec file's: the first test's SKUs are read again by this new group.)
    expect(pulls.filter((p) => p.startsWith('OC-D'))).toEqual(['OC-D (0, 6)']);
    expect(applied).toEqual(['OC-D@1', 'OC-D@2', 'OC-D@3', 'OC-D@4', 'OC-D@5', 'OC-C@1', 'OC-C@2', 'OC-C@3', 'OC-C@4', 'OC-C@5']);
  });
});
