import { describe, expect, it } from 'vitest';
import { decideSaga, type AllocationSaga, type SagaMessage, type SagaPolicy } from '../../src/domain/allocation';
import type { AllocationOutcome } from '../../src/contract/schemas';
import type { EdgeClient } from '../../bridge/edge/client';
import { createExecutor } from '../../bridge/saga/executor';
import { createWmsClient } from '../../bridge/wms/client';
import type { RunningWmsSimulator } from '../../bridge/wms/simulator';
import { admin, T, useWmsSimulators } from './support/wmsSimulator';

/** The saga per location (ADR 0015) with its real executor, over real SOAP against the simulator; the edge answers 200. */

const { start } = useWmsSimulators();
const policy: SagaPolicy = { callTimeoutMs: 2_000, deadlineMs: 30_000, retryBaseMs: 100, retryMaxMs: 500, lateAllocateMs: 0 };
const stock = (simulator: RunningWmsSimulator, location: string, physical: number) => admin(simulator, 'PUT', `/admin/stock/${location}/SKU-L`, { physical });

async function sagaAgainst(soapUrl: string) {
  const verdicts: { reservationId: string; verdict: AllocationOutcome }[] = [];
  const edge = {
    allocation: async (_sku: string, reservationId: string, verdict: AllocationOutcome) => {
      verdicts.push({ reservationId, verdict });
      return { status: 200, code: null, details: {} };
    },
  } as unknown as EdgeClient;
  const client = await createWmsClient(soapUrl);
  const execute = createExecutor(async () => client, edge, T);
  let saga: AllocationSaga | null = null;
  /** Feeds a message, then every reply of the commands it led to, until none is left. */
  async function feed(message: SagaMessage): Promise<void> {
    const queue = [message];
    while (queue.length > 0) {
      const decision = decideSaga(saga, queue.shift()!, policy, Date.now());
      saga = decision.saga;
      queue.push(...(await Promise.all(decision.commands.map(execute))));
    }
  }
  return { feed, verdicts, client, saga: () => saga! };
}

describe('the saga per location, over SOAP', () => {
  it('allocates at the sourced location; re-sourced, it cancels there and allocates at the new one as `id@to`: the units end at exactly one place', async () => {
    const { simulator } = await start({ locations: ['AMS-1', 'RTM-2'], unstocked: 'empty' });
    await stock(simulator, 'AMS-1', 5);
    await stock(simulator, 'RTM-2', 5);
    const { feed, verdicts, client, saga } = await sagaAgainst(simulator.soapUrl);

    await feed({ type: 'Reserved', sku: 'SKU-L', reservationId: 'res_l', qty: 2, version: 2, at: Date.now(), expiresAt: Date.now() + 60_000, location: 'AMS-1' });
    expect(saga()).toMatchObject({ phase: 'allocated', location: 'AMS-1', reference: null });
    expect((await client.stockLevels(T)).map((l) => [l.location, l.allocated])).toEqual([['AMS-1', 2], ['RTM-2', 0]]);

    await feed({ type: 'Resourced', from: 'AMS-1', to: 'RTM-2', completed: true });
    expect(saga()).toMatchObject({ phase: 'allocated', location: 'RTM-2', reference: 'res_l@RTM-2', leftBehind: [], completed: true });
    expect((await client.stockLevels(T)).map((l) => [l.location, l.allocated])).toEqual([['AMS-1', 0], ['RTM-2', 2]]);
    const records = (await client.list(T)).map((r) => [r.reservationId, r.status]).sort();
    expect(records).toEqual([['res_l', 'cancelled'], ['res_l@RTM-2', 'allocated']]);
    expect(verdicts.map((v) => v.verdict)).toEqual([
      { outcome: 'confirmed', allocationId: expect.any(String), reference: 'res_l', causedBy: { 'sku:SKU-L': 2 }, location: 'AMS-1', resourcings: 0 },
      { outcome: 'confirmed', allocationId: saga().allocationId, reference: 'res_l@RTM-2', causedBy: { 'sku:SKU-L': 2 }, location: 'RTM-2', resourcings: 1 },
    ]);
  });

  it('refused for stock at the new location: the held reservation is released wms_rejected, nothing held anywhere', async () => {
    const { simulator } = await start({ locations: ['AMS-1', 'RTM-2'], unstocked: 'empty' });
    await stock(simulator, 'AMS-1', 5);
    const { feed, verdicts, client, saga } = await sagaAgainst(simulator.soapUrl);
    await feed({ type: 'Reserved', sku: 'SKU-L', reservationId: 'res_m', qty: 2, version: 2, at: Date.now(), expiresAt: Date.now() + 60_000, location: 'AMS-1' });
    await feed({ type: 'Resourced', from: 'AMS-1', to: 'RTM-2', completed: false });
    expect(verdicts.at(-1)?.verdict).toEqual({ outcome: 'failed', reason: 'wms_rejected', causedBy: { 'sku:SKU-L': 2 }, location: 'RTM-2', resourcings: 1, tried: ['AMS-1', 'RTM-2'] });
    await feed({ type: 'Released', reason: 'wms_rejected' });
    expect(saga()).toMatchObject({ phase: 'done', leftBehind: [] });
    expect((await client.list(T)).filter((r) => r.status === 'allocated')).toEqual([]);
  });

  it('the replies of an AllocateStock say when it left the executor (answered or failed), those of other commands do not', async () => {
    const { simulator } = await start({ locations: ['AMS-1'], unstocked: 'empty' });
    await stock(simulator, 'AMS-1', 1);
    const client = await createWmsClient(simulator.soapUrl);
    const edge = { allocation: async () => ({ status: 200, code: null, details: {} }) } as unknown as EdgeClient;
    const execute = createExecutor(async () => client, edge, T);
    const before = Date.now();
    const answered = await execute({ type: 'Allocate', reservationId: 'res_s', reference: 'res_s', sku: 'SKU-L', qty: 1, location: 'AMS-1' });
    expect(answered).toMatchObject({ type: 'WmsAnswered', answer: { status: 'allocated' }, sentAt: expect.any(Number) });
    expect((answered as { sentAt: number }).sentAt).toBeGreaterThanOrEqual(before);
    const unreachable = createExecutor(async () => Promise.reject(new Error('no warehouse serves it')), edge, T);
    const failed = await unreachable({ type: 'Allocate', reservationId: 'res_s', reference: 'res_s', sku: 'SKU-L', qty: 1, location: 'AMS-1' });
    expect(failed).toMatchObject({ type: 'CallFailed', command: 'Allocate', sentAt: expect.any(Number) });
    expect(await execute({ type: 'GetAllocation', reservationId: 'res_s', reference: 'res_s', location: 'AMS-1' })).not.toHaveProperty('sentAt');
  });
});
