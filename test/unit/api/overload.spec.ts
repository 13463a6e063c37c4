import { describe, expect, it } from 'vitest';
import { jitteredRetryAfter, overloadOf, RUNTIME_RETRY_AFTER_SECONDS } from '../../../src/api/overload';

const flagged = (flags: Record<string, unknown>) => Object.assign(new Error('from the runtime'), flags);
const answer = { code: 'overloaded', retryAfterSeconds: RUNTIME_RETRY_AFTER_SECONDS };

describe('overloadOf: which thrown errors are overload (503), which are bugs (500)', () => {
  it.each([
    ['an overloaded object (too many requests queued)', flagged({ overloaded: true })],
    ['a retryable failure the runtime gave up on (connection lost, object reset)', flagged({ retryable: true, remote: true })],
    ['both flags', flagged({ overloaded: true, retryable: true })],
  ])('%s → overloaded', (_, error) => {
    expect(overloadOf(error)).toEqual(answer);
  });

  it.each([
    ['a plain Error', new Error('a bug')],
    ['an exception from our own object code', flagged({ remote: true })],
    ['flags that are not true', flagged({ overloaded: 'yes', retryable: 1 })],
    ['flags set to false', flagged({ overloaded: false, retryable: false })],
    ['a thrown string', 'overloaded'],
    ['null', null],
    ['undefined', undefined],
  ])('%s → not overload', (_, error) => {
    expect(overloadOf(error)).toBeNull();
  });
});

describe('jitteredRetryAfter: the seconds a shed request is told, spread per request', () => {
  it.each([
    [1, [0, 0.49, 0.5, 0.999_999], [1, 1, 2, 2]],
    [2, [0, 0.34, 0.67, 0.999_999], [2, 3, 4, 4]],
    [5, [0, 0.5, 0.999_999], [5, 8, 10]],
  ])('from %i s: over [s, 2s] in whole seconds', (seconds, draws, told) => {
    expect(draws.map((r) => jitteredRetryAfter(seconds, () => r))).toEqual(told);
  });
});
