import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SapClient, SweepRound } from '../../../bridge/sap/client';
import { straySweeps } from '../../../bridge/sap/sweep';
import type { Warehouse } from '../../../bridge/warehouses';
import { CLIENT_PLANTS } from './support/sapClient';

/**
 * The sweeper's rounds (bridge/sap/sweep.ts) over a scripted client: the position each round
 * starts from, kept by a failed round, shared by the sweeps of one process, and no round once
 * halted or no longer the owner. Against the simulator and under the feed's ownership:
 * client.sweep.spec.ts, feed.spec.ts, sweepOwner.spec.ts.
 */

const SAP: Warehouse = { id: 'sap-1', kind: 'odata', url: 'http://sap.test', user: 'U', password: 'P', plants: CLIENT_PLANTS, locations: ['FRA-1'] };
const SOAP: Warehouse = { id: 'soap-1', kind: 'soap', url: 'http://wms.test/wms', locations: ['AMS-1'] };
const EVERY_MS = 20;

/** A client whose rounds answer `script` in turn (an Error is thrown), then "nothing new"; every `after` it was asked from. */
function scripted(script: Array<SweepRound | Error>) {
  const asked: Array<string | null> = [];
  const client = {
    sweepStrays: async (after: string | null) => {
      asked.push(after);
      const next = script.shift() ?? { deleted: [], through: after };
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as SapClient;
  return { asked, sweeps: straySweeps({ clients: async () => client, everyMs: EVERY_MS, callTimeoutMs: 100, logger: pino({ level: 'silent' }) }) };
}

const until = async (probe: () => boolean, what: string) => {
  for (const deadline = Date.now() + 5_000; !probe(); await new Promise((resolve) => setTimeout(resolve, 5))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the stray sweep of one warehouse', () => {
  it('starts with a full round, goes on from the highest number read, keeps its position through a failed round', async () => {
    const { asked, sweeps } = scripted([{ deleted: [], through: '0000000003' }, new Error('SAP down'), { deleted: ['0000000007'], through: '0000000009' }]);
    const sweep = sweeps(SAP, { active: true })!;
    sweep.start();
    await until(() => asked.length >= 4, 'four rounds');
    sweep.halt();
    await sweep.done;
    expect(asked.slice(0, 4)).toEqual([null, '0000000003', '0000000003', '0000000009']);
  });

  it('only for odata warehouses', () => {
    expect(scripted([]).sweeps(SOAP, { active: true })).toBeNull();
  });

  it('no round once halted, nor once the owner is not; a later sweep of the same process goes on from its position, another process starts with a full round', async () => {
    const { asked, sweeps } = scripted([{ deleted: [], through: '0000000005' }]);
    const first = sweeps(SAP, { active: true })!;
    first.start();
    await until(() => asked.length >= 2, 'two rounds');
    first.halt();
    await first.done;
    const rounds = asked.length;
    await pause(EVERY_MS * 5);
    expect(asked).toHaveLength(rounds);

    const owner = { active: true };
    const again = sweeps(SAP, owner)!;
    again.start();
    await until(() => asked.length > rounds, 'a round of the later sweep');
    expect(asked[rounds]).toBe('0000000005');
    owner.active = false;
    await pause(EVERY_MS * 3);
    await again.done;
    const fenced = asked.length;
    await pause(EVERY_MS * 5);
    expect(asked).toHaveLength(fenced);

    const elsewhere = scripted([]);
    const other = elsewhere.sweeps(SAP, { active: true })!;
    other.start();
    await until(() => elsewhere.asked.length >= 1, 'the other process’s first round');
    other.halt();
    expect(elsewhere.asked[0]).toBeNull();
  });
});
