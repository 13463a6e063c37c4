import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { consumeInOrder, memoryVersions } from '../../bridge/consumers/orderedEvents';
import type { EdgeClient } from '../../bridge/edge/client';
import { DLQ_TOPIC, EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { createMetrics } from '../../bridge/metrics';
import { SkuStates } from '../../bridge/projections/skuStates';
import type { SkuEvent } from '../../src/domain/sku';
import { embeddedLogForFile } from './support/embeddedLog';

/**
 * Records of every version a SKU event ever had are upcast and processed by the bridge, never
 * dead-lettered (ADR 0012): the ones whose upcast needs the reservation's row (v1 completions
 * and releases) are read from the edge, which keeps it.
 */
const log = embeddedLogForFile('versioned-events-');

const at = '2026-11-26T09:00:00.000Z';
const later = '2026-11-26T09:15:00.000Z';
const cause = (sku: string) => ({ [`sku:${sku}`]: 2 });

/** One SKU's history as the edge serves it today. */
const today = (sku: string): SkuEvent[] => [
  { type: 'StockSet', sku, version: 1, at, causedBy: {}, data: { onHand: 10, limitPerCustomer: null } },
  { type: 'StockReserved', sku, version: 2, at, causedBy: {}, data: { reservationId: `res_${sku}`, customerId: 'ann', qty: 3, expiresAt: later } },
  { type: 'ReservationCompleted', sku, version: 3, at, causedBy: cause(sku), data: { reservationId: `res_${sku}`, qty: 3 } },
  { type: 'StockReleased', sku, version: 4, at, causedBy: cause(sku), data: { reservationId: `res_${sku}`, qty: 3, reason: 'admin', refundDue: true } },
  { type: 'StockReceived', sku, version: 5, at, causedBy: {}, data: { qty: 2 } },
];

/** The same history as it was written on the log: v1 records before versions were stamped, then one stamped by today's bridge. */
const written = (sku: string) => {
  const [set, reserved, completed, released, received] = today(sku);
  const { refundDue: _, ...releasedV1 } = (released as Extract<SkuEvent, { type: 'StockReleased' }>).data;
  return [
    set,
    reserved,
    { ...completed, data: { reservationId: `res_${sku}` } },
    { ...released, data: releasedV1 },
    { ...received, schemaVersion: 1 },
  ].map((value) => ({ key: sku, value: JSON.stringify(value) }));
};

function edgeOf(events: SkuEvent[], pulls: string[]): EdgeClient {
  return {
    eventsBetween: async (sku: string, after: number, before: number) => {
      pulls.push(`${sku} (${after}, ${before})`);
      return events.filter((e) => e.sku === sku && e.version > after && e.version < before);
    },
  } as unknown as EdgeClient;
}

const settle = async (done: () => boolean) => {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
};
const deadLetters = async (sku: string) => (await log.readAll(DLQ_TOPIC)).filter((r) => r.key === sku);

describe('old-shape SKU records on the log', () => {
  it('are upcast and applied in order by a consumer, the row-dependent ones read from the edge; none is dead-lettered', async () => {
    const sku = 'VE-A';
    await log.append(EVENTS_TOPIC, written(sku));
    const pulls: string[] = [];
    const applied: SkuEvent[] = [];
    const subscription = await consumeInOrder({
      log, groupId: 've-ordered', fromBeginning: true, edge: edgeOf(today(sku), pulls), versions: memoryVersions(), metrics: createMetrics(),
      logger: pino({ level: 'silent' }), apply: async (e) => void (e.sku === sku && applied.push(e)),
    });
    await settle(() => applied.length >= 5);
    await subscription.stop();
    expect(applied).toEqual(today(sku));
    expect(pulls).toEqual([`${sku} (2, 4)`, `${sku} (3, 5)`]);
    expect(await deadLetters(sku)).toEqual([]);
  });

  it('fold into the same counters in the projection as today\'s records do', async () => {
    const sku = 'VE-B';
    const states = new SkuStates(edgeOf(today(sku), []));
    for (const [offset, record] of written(sku).entries()) {
      expect(await states.apply({ ...record, topic: EVENTS_TOPIC, partition: 0, offset: String(offset), timestamp: 0, headers: {} })).toBe(1);
    }
    expect(states.counters(sku)).toMatchObject({ onHand: 12, reserved: 0, sold: 0, available: 12, version: 5 });
  });

  it('a record newer than this bridge is neither applied nor dead-lettered: its batch waits for an upgrade', async () => {
    const sku = 'VE-C';
    const [set, reserved] = today(sku);
    await log.append(EVENTS_TOPIC, [
      { key: sku, value: JSON.stringify(set) },
      { key: sku, value: JSON.stringify({ ...reserved, schemaVersion: 7 }) },
    ]);
    const applied: string[] = [];
    const subscription = await consumeInOrder({
      log, groupId: 've-newer', fromBeginning: true, edge: edgeOf([], []), versions: memoryVersions(), metrics: createMetrics(),
      logger: pino({ level: 'silent' }), apply: async (e) => void (e.sku === sku && applied.push(`${e.type}@${e.version}`)),
    });
    await new Promise((r) => setTimeout(r, 1_000));
    await subscription.stop();
    // The batch holding the newer record is delivered again and again, so nothing of it is applied.
    expect(applied).toEqual([]);
    expect(await deadLetters(sku)).toEqual([]);
  });
});
