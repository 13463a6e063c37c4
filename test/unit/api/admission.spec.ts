import { describe, expect, it } from 'vitest';
import { admit } from '../../../durable-objects/sku/admission';
import { ticket } from '../../../src/ticket';
import { DEFAULT_ADMISSION_MAX_WAIT_MS } from '../../../src/config';

describe('the admission ticket the Worker stamps on a command', () => {
  it.each([
    [undefined, DEFAULT_ADMISSION_MAX_WAIT_MS],
    ['', DEFAULT_ADMISSION_MAX_WAIT_MS],
    ['250', 250],
    ['not a number', DEFAULT_ADMISSION_MAX_WAIT_MS],
    ['-5', DEFAULT_ADMISSION_MAX_WAIT_MS],
  ])('ADMISSION_MAX_WAIT_MS=%j → a bound of %i ms, stamped with the send time', (configured, maxWaitMs) => {
    expect(ticket({ ADMISSION_MAX_WAIT_MS: configured }, 1_000)).toEqual({ sentAt: 1_000, maxWaitMs });
  });

  it('0 turns admission control off: no ticket, every command admitted', () => {
    expect(ticket({ ADMISSION_MAX_WAIT_MS: '0' }, 1_000)).toBeUndefined();
    expect(admit(undefined, 1_000_000)).toBeNull();
  });
});

describe('admit: shed a command that waited past its bound', () => {
  const stamp = { sentAt: 10_000, maxWaitMs: 1_000 };

  it('admits up to the bound, sheds beyond it', () => {
    expect(admit(stamp, 10_000)).toBeNull();
    expect(admit(stamp, 11_000)).toBeNull();
    expect(admit(stamp, 11_001)).toEqual({ code: 'overloaded', retryAfterSeconds: 1 });
  });

  it('asks the client back after about the bound, in whole seconds, at least one', () => {
    expect(admit({ sentAt: 0, maxWaitMs: 10 }, 11)?.retryAfterSeconds).toBe(1);
    expect(admit({ sentAt: 0, maxWaitMs: 2_500 }, 9_000)?.retryAfterSeconds).toBe(3);
  });

  it('a clock behind the Worker’s (negative wait) admits', () => {
    expect(admit(stamp, 9_990)).toBeNull();
  });
});
