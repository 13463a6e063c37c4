import { afterEach, describe, expect, it, vi } from 'vitest';
import { land, liveDocuments, useSapClients } from './support/sapClient';
import { T } from '../support/wmsSimulator';

/**
 * The sweep of stray reservation documents, bounded by live work (ADR 0017): a round reads the
 * documents numbered after the last round's highest, then those documents' references whole, so
 * a duplicate is judged against its reference's first document however old that is.
 */

const { start } = useSapClients();
afterEach(() => vi.restoreAllMocks());

/** The `$filter` of every read of reservation items the client sends during `run`, in order. */
async function itemFilters<T>(run: () => Promise<T>): Promise<{ result: T; filters: string[] }> {
  const filters: string[] = [];
  const fetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if ((init?.method ?? 'GET') === 'GET' && url.pathname.endsWith('/A_ReservationDocumentItem')) filters.push(url.searchParams.get('$filter') ?? '');
    return fetch(input, init);
  });
  const result = await run();
  vi.restoreAllMocks();
  return { result, filters };
}

describe('sweepStrays', () => {
  it('a full round, then rounds that read only documents numbered since; a duplicate of a reference whose first document is older than the position is still found', async () => {
    const { simulator, client } = await start();
    for (const reference of ['res_a', 'res_b', 'res_c']) expect(await client.allocate(reference, 'SKU-A', 1, T, 'FRA-1')).toMatchObject({ status: 'allocated' });
    await land(simulator, 'res_a');

    const full = await itemFilters(() => client.sweepStrays(null, T));
    expect(full.result).toEqual({ deleted: ['0000000004'], through: '0000000004' });
    expect(full.filters).toEqual(["ReservationItemText ne ''"]);

    // res_b's first document (2) is below the position (4); its late duplicate lands above it.
    expect(await client.allocate('res_d', 'SKU-A', 1, T, 'FRA-1')).toEqual({ status: 'allocated', allocationId: '0000000005' });
    await land(simulator, 'res_b');
    const second = await itemFilters(() => client.sweepStrays(full.result.through, T));
    expect(second.result).toEqual({ deleted: ['0000000006'], through: '0000000006' });
    expect(second.filters).toEqual(["ReservationItemText ne '' and Reservation gt '0000000004'", "ReservationItemText eq 'res_d' or ReservationItemText eq 'res_b'"]);
    expect([await liveDocuments(simulator, 'res_b'), await liveDocuments(simulator, 'res_d')]).toEqual([['0000000002'], ['0000000005']]);

    // Nothing numbered since: one read, nothing deleted, the position kept.
    const idle = await itemFilters(() => client.sweepStrays(second.result.through, T));
    expect(idle).toEqual({ result: { deleted: [], through: '0000000006' }, filters: ["ReservationItemText ne '' and Reservation gt '0000000006'"] });
  });

  it('a reference whose first document was cancelled: a later live document of it is a stray, found from the position', async () => {
    const { simulator, client } = await start();
    await client.allocate('res_x', 'SKU-A', 1, T, 'FRA-1');
    expect(await client.cancel('res_x', T)).toEqual({ status: 'cancelled' });
    const { through } = await client.sweepStrays(null, T);
    expect(through).toBe('0000000001');
    await land(simulator, 'res_x');
    expect(await client.sweepStrays(through, T)).toEqual({ deleted: ['0000000002'], through: '0000000002' });
    expect(await liveDocuments(simulator, 'res_x')).toEqual([]);
  });

  it('the references of a round are read whole in batches of at most 20', async () => {
    const { simulator, client } = await start();
    await client.allocate('res_first', 'SKU-A', 1, T, 'FRA-1');
    const { through } = await client.sweepStrays(null, T);
    const references = Array.from({ length: 25 }, (_, i) => `res_${String(i).padStart(2, '0')}`);
    await land(simulator, ...references, 'res_23');

    const round = await itemFilters(() => client.sweepStrays(through, T));
    expect(round.result).toEqual({ deleted: ['0000000027'], through: '0000000027' });
    const batches = round.filters.slice(1).map((filter) => filter.split(' or ').map((part) => /'(.+)'$/.exec(part)![1]));
    expect(round.filters[0]).toBe("ReservationItemText ne '' and Reservation gt '0000000001'");
    expect(batches).toEqual([references.slice(0, 20), references.slice(20)]);
  });
});
