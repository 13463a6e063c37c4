import { describe, expect, it } from 'vitest';
import { Coalescer, MAX_BATCHES_PER_SENDER } from '../../../src/api/coalescer';

/** An object that answers each call when told to: its calls, and a way to answer the oldest one. */
function slowObject() {
  const calls: { batch: number[]; answer: (a: number[] | Error) => void }[] = [];
  const send = (batch: number[]) => new Promise<number[]>((resolve, reject) => calls.push({ batch, answer: (a) => (a instanceof Error ? reject(a) : resolve(a)) }));
  const answerNext = async (f: (batch: number[]) => number[] | Error = (b) => b.map((n) => n * 10)) => {
    const call = calls.shift()!;
    call.answer(f(call.batch));
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { calls, send, answerNext };
}

const kept: Promise<unknown>[] = [];
const keepAlive = (p: Promise<unknown>) => void kept.push(p);
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('the Worker coalescer', () => {
  it('sends an idle object its command at once, and queues the rest while the call is out, in order, up to the bound', async () => {
    const object = slowObject();
    const c = new Coalescer<number, number>(3, 5_000);
    const answers = [1, 2, 3, 4, 5, 6].map((n) => c.submit('sku', n, object.send, keepAlive));
    await tick();
    expect(object.calls.map((x) => x.batch)).toEqual([[1]]);
    await object.answerNext();
    expect(object.calls.map((x) => x.batch)).toEqual([[2, 3, 4]]);
    await object.answerNext();
    await object.answerNext();
    expect(await Promise.all(answers)).toEqual([
      { answer: 10, batch: 1 }, { answer: 20, batch: 3 }, { answer: 30, batch: 3 }, { answer: 40, batch: 3 }, { answer: 50, batch: 2 }, { answer: 60, batch: 2 },
    ]);
    expect(object.calls).toEqual([]);
  });

  it('a failed call fails its batch only; the queued commands go in the next call', async () => {
    const object = slowObject();
    const c = new Coalescer<number, number>(2, 5_000);
    const answers = [1, 2, 3, 4].map((n) => c.submit('sku', n, object.send, keepAlive).catch((e: Error) => e.message));
    await tick();
    await object.answerNext();
    await object.answerNext(() => new Error('overloaded'));
    await tick();
    await object.answerNext();
    expect(await Promise.all(answers)).toEqual([{ answer: 10, batch: 1 }, 'overloaded', 'overloaded', { answer: 40, batch: 1 }]);
  });

  it(`one sender sends at most ${MAX_BATCHES_PER_SENDER} batches, then the queued commands submit again`, async () => {
    const object = slowObject();
    const c = new Coalescer<number, number>(1, 5_000);
    const n = MAX_BATCHES_PER_SENDER + 3;
    const answers = Array.from({ length: n }, (_, i) => c.submit('sku', i, object.send, keepAlive));
    for (let i = 0; i < n; i++) {
      await tick();
      await object.answerNext();
    }
    expect((await Promise.all(answers)).map((a) => a.answer)).toEqual(Array.from({ length: n }, (_, i) => i * 10));
  });

  it('a command that waits past the bound is answered overloaded and never sent', async () => {
    const object = slowObject();
    const c = new Coalescer<number, number>(8, 20);
    const first = c.submit('sku', 1, object.send, keepAlive);
    const late = c.submit('sku', 2, object.send, keepAlive).catch((e: { overloaded?: boolean }) => e.overloaded);
    expect(await late).toBe(true);
    await object.answerNext();
    expect(await first).toEqual({ answer: 10, batch: 1 });
    expect(object.calls).toEqual([]);
  });
});
