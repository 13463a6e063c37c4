import { describe, expect, it } from 'vitest';
import type { RunningSapSimulator } from '../../../bridge/sap/simulator/server';
import type { Warehouse } from '../../../bridge/warehouses';
import { recordingEdge } from '../support/feedEdge';
import { committedCursor, useFeeds, waitFor } from '../support/feedHarness';
import { CLIENT_PLANTS, clientOf, land, liveDocuments, sapAdmin, useSapClients } from './support/sapClient';
import { PASSWORD, USER } from './support/sapSimulator';

/**
 * The bridge's warehouse feed (ADR 0014) following an SAP warehouse (kind odata) through the
 * OData adapter: the feed's own code, the real simulator, the embedded log; the edge is
 * `recordingEdge` (the SKU decider in memory), as in test/bridge/feed.spec.ts.
 */
const { start } = useSapClients();
const feeds = useFeeds('sap-feed-');
let logs = 0;

async function follow(simulator: RunningSapSimulator, plants = CLIENT_PLANTS, sweepEveryMs?: number) {
  const log = await feeds.embeddedLog(`log-${++logs}`);
  const warehouse: Warehouse = { id: 'sap-1', kind: 'odata', url: simulator.url, user: USER, password: PASSWORD, plants, locations: Object.keys(plants) };
  const edge = recordingEdge();
  const { feed } = await feeds.follow(log, warehouse, edge, { sweepEveryMs });
  return { feed, edge, cursor: () => committedCursor(log, 'sap-1') };
}

const post = async (simulator: RunningSapSimulator, movement: Record<string, unknown>) => expect((await sapAdmin(simulator, 'POST', '/admin/movements', movement)).status).toBe(201);

describe('the feed following an SAP warehouse', () => {
  it('delivers receipts, counts and damages once, in order, at their locations; skips the goods issue of a shipment; commits the cursor', async () => {
    const { simulator, client } = await start({ unstocked: 'empty' });
    await post(simulator, { type: 'receipt', document: 'D-1', location: 'FRA-1', sku: 'SKU-A', qty: 10 });
    await post(simulator, { type: 'receipt', document: 'D-2', location: 'MUC-1', sku: 'SKU-A', qty: 5 });
    expect(await client.allocate('res_a', 'SKU-A', 2, 2_000, 'FRA-1')).toMatchObject({ status: 'allocated' });
    await post(simulator, { type: 'shipment', document: 'D-3', reservationId: 'res_a' });
    await post(simulator, { type: 'count', document: 'D-4', location: 'FRA-1', sku: 'SKU-A', qty: 7 });
    const { feed, edge, cursor } = await follow(simulator);

    await waitFor(async () => (await cursor())?.sequence === 4, 'the cursor committed at 4');
    await post(simulator, { type: 'damage', document: 'D-5', location: 'MUC-1', sku: 'SKU-A', qty: 1 });
    await waitFor(async () => (await cursor())?.sequence === 5, 'the cursor committed at 5');

    expect(edge.calls.map(({ sku, command }) => [sku, command.warehouse, command.sequence, command.document, command.movement, command.location, command.delta])).toEqual([
      ['SKU-A', 'sap-1', 1, '4900000001', 'receipt', 'FRA-1', 10],
      ['SKU-A', 'sap-1', 2, '4900000002', 'receipt', 'MUC-1', 5],
      ['SKU-A', 'sap-1', 4, '4900000004', 'count', 'FRA-1', -1],
      ['SKU-A', 'sap-1', 5, '4900000005', 'damage', 'MUC-1', -1],
    ]);
    // The shipment's units were sold at the edge (not fed): 10, then the count's -1.
    expect([edge.onHand('SKU-A', 'FRA-1'), edge.onHand('SKU-A', 'MUC-1')]).toEqual([9, 4]);
    await waitFor(() => feed.following()[0]?.state === 'caught_up', 'the feed caught up');
    expect(feed.following()[0]).toMatchObject({ state: 'caught_up', committed: 5, latest: 5, lastError: null, handled: { applied: 4, duplicate: 0, shipment: 1 } });
    expect(await clientOf(simulator).stockLevels(2_000)).toEqual([
      { location: 'FRA-1', sku: 'SKU-A', physical: 7, allocated: 0, shipped: 2 },
      { location: 'MUC-1', sku: 'SKU-A', physical: 4, allocated: 0, shipped: 0 },
    ]);
  });

  it('holds at a document whose plant and storage location no location maps to, says why, and goes on once mapped', async () => {
    const { simulator } = await start({ unstocked: 'empty' });
    await post(simulator, { type: 'receipt', document: 'D-1', location: 'FRA-1', sku: 'SKU-A', qty: 3 });
    await post(simulator, { type: 'receipt', document: 'D-2', location: 'MUC-1', sku: 'SKU-A', qty: 4 });
    const held = await follow(simulator, { 'FRA-1': CLIENT_PLANTS['FRA-1']! });
    const stuck = await waitFor(() => held.feed.following().find((f) => f.lastError !== null), 'the feed to report the unmapped document');
    expect(stuck).toMatchObject({ state: 'backing_off', lastError: { step: 'warehouse', message: expect.stringMatching(/plant 1010 storage location 0002 is no location of this warehouse's plants mapping$/) } });
    // Nothing of the page was delivered: never skip, never half a page out of order.
    expect(held.edge.calls).toEqual([]);
    await feeds.stop(held.feed);

    const mapped = await follow(simulator);
    await waitFor(async () => (await mapped.cursor())?.sequence === 2, 'the cursor committed at 2');
    expect(mapped.edge.calls.map((c) => c.command.location)).toEqual(['FRA-1', 'MUC-1']);
  });

  it('its follower sweeps its stray documents while following it, and no more once the feed stopped', async () => {
    const { simulator, client } = await start();
    expect(await client.allocate('res_s', 'SKU-A', 1, 2_000, 'FRA-1')).toEqual({ status: 'allocated', allocationId: '0000000001' });
    await land(simulator, 'res_s');
    const { feed } = await follow(simulator, CLIENT_PLANTS, 50);
    await waitFor(async () => (await liveDocuments(simulator, 'res_s')).length === 1, 'the stray swept');
    expect(await liveDocuments(simulator, 'res_s')).toEqual(['0000000001']);

    await feeds.stop(feed);
    await land(simulator, 'res_s');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await liveDocuments(simulator, 'res_s')).toEqual(['0000000001', '0000000003']);
  });
});
