import { describe, expect, it } from 'vitest';
import { CommandQueue } from '../../../durable-objects/sku/commandQueue';
import type { BatchAnswer, GroupCall, ReserveCall } from '../../../durable-objects/sku/requests';

const callOf = (customerId: string): ReserveCall => ({ req: { sku: 's', customerId, qty: 1, ttlSeconds: 60 }, idempotency: { scope: customerId, requestHash: 'h' } });
const answerFor = (c: ReserveCall): BatchAnswer => ({ thrown: `answer for ${c.req.customerId}` });
const nameOf = (a: BatchAnswer) => ('thrown' in a ? a.thrown : 'outcome');

/** A run that records the groups it was given and answers each call with its own name, after `ms`. */
function recording(ms = 0, failGroup?: number) {
  const groups: string[][] = [];
  const run = async (calls: readonly GroupCall[]) => {
    groups.push(calls.map((c) => ('req' in c ? c.req.customerId : c.ref.customerId)));
    await new Promise((r) => setTimeout(r, ms));
    if (groups.length === failGroup) throw new Error('transaction failed');
    return calls.map((c) => answerFor(c as ReserveCall));
  };
  return { groups, run };
}

describe('the object groups the commands its input delivered', () => {
  it('calls that arrive together form one group, and each gets its own answer, in order', async () => {
    const { groups, run } = recording();
    const queue = new CommandQueue(run, 64);
    const answers = await Promise.all(['a', 'b', 'c'].map((n) => queue.submit(callOf(n))));
    expect(groups).toEqual([['a', 'b', 'c']]);
    expect(answers.map(nameOf)).toEqual(['answer for a', 'answer for b', 'answer for c']);
    expect(queue.seen).toEqual({ groups: 1, commands: 3 });
  });

  it('calls that arrive while a group runs form the next group, decided when it ends', async () => {
    const { groups, run } = recording(20);
    const queue = new CommandQueue(run, 64);
    const first = queue.submit(callOf('a'));
    await new Promise((r) => setTimeout(r, 5));
    const later = ['b', 'c'].map((n) => queue.submit(callOf(n)));
    await Promise.all([first, ...later]);
    expect(groups).toEqual([['a'], ['b', 'c']]);
  });

  it('a group holds at most the bound; the rest go in the next', async () => {
    const { groups, run } = recording();
    const queue = new CommandQueue(run, 4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => queue.submit(callOf(`c${i}`))));
    expect(groups.map((g) => g.length)).toEqual([4, 4, 2]);
  });

  it("a group that throws fails its own calls only, and the next group still runs", async () => {
    const { groups, run } = recording(10, 1);
    const queue = new CommandQueue(run, 64);
    const failed = queue.submit(callOf('a'));
    await new Promise((r) => setTimeout(r, 2));
    const next = queue.submit(callOf('b'));
    await expect(failed).rejects.toThrow('transaction failed');
    expect(nameOf(await next)).toBe('answer for b');
    expect(groups).toEqual([['a'], ['b']]);
  });

  it('an idle queue starts again after it emptied', async () => {
    const { groups, run } = recording();
    const queue = new CommandQueue(run, 64);
    await queue.submit(callOf('a'));
    await queue.submit(callOf('b'));
    expect(groups).toEqual([['a'], ['b']]);
  });
});
