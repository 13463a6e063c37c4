import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { untilDone } from '../../../bridge/background';

const silent = pino({ level: 'silent' });
class Misconfigured extends Error {}

describe('untilDone', () => {
  it('retries a passing fault until the work succeeds', async () => {
    let attempts = 0;
    await untilDone('work', async () => {
      if (++attempts < 2) throw new Error('brokers not up yet');
    }, silent, (error) => error instanceof Misconfigured);
    expect(attempts).toBe(2);
  });

  it('throws an error that no retry can fix at once, without retrying', async () => {
    let attempts = 0;
    const run = untilDone('work', async () => {
      attempts++;
      throw new Misconfigured('topics do not fit');
    }, silent, (error) => error instanceof Misconfigured);
    await expect(run).rejects.toThrow('topics do not fit');
    expect(attempts).toBe(1);
  });
});
