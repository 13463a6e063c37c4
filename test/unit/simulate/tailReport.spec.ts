import { describe, expect, it } from 'vitest';
import { causeOf, tailBreakdown } from '../../../simulate/tailReport';
import { Trace, type FinalAnswer } from '../../../simulate/trace';

const answer = (latencyMs: number, o: Partial<FinalAnswer> = {}): FinalAnswer => ({
  outcome: 'refused',
  firstSentAt: 0,
  latencyMs,
  overloaded: 0,
  unavailable: 0,
  lanedMs: 0,
  queuedMs: 0,
  parkedMs: 0,
  ...o,
});

describe('the slowest 1 % of final answers', () => {
  it('names where each spent its time: a shed first, else the largest wait, else the network', () => {
    expect(causeOf(answer(1500, { overloaded: 1, parkedMs: 10 }))).toBe('shed');
    expect(causeOf(answer(6000, { unavailable: 1 }))).toBe('unavailable');
    expect(causeOf(answer(100, { parkedMs: 60, queuedMs: 30 }))).toBe('parked');
    expect(causeOf(answer(100, { lanedMs: 50, queuedMs: 40 }))).toBe('lane');
    expect(causeOf(answer(100, { queuedMs: 70 }))).toBe('queue');
    expect(causeOf(answer(10, { queuedMs: 1 }))).toBe('other');
  });

  it('takes the answers at and beyond the p99 (nearest rank), whatever the order they came in', () => {
    const trace = new Trace();
    for (let i = 0; i < 198; i++) trace.final(null, { outcome: 'edge', firstSentAt: i, latencyMs: 0, overloaded: 0, unavailable: 0 });
    trace.parked(7, 90);
    trace.final(7, { outcome: 'refused', firstSentAt: 600, latencyMs: 100, overloaded: 0, unavailable: 0 });
    trace.final(null, { outcome: 'accepted', firstSentAt: 650, latencyMs: 2000, overloaded: 1, unavailable: 0 });
    const tail = tailBreakdown(trace)!;
    // 200 answers: the p99 is the 198th fastest (a 0 ms one), so the slowest 3.
    expect(tail.answers).toBe(3);
    expect(tail.p99Ms).toBe(0);
    expect(tail.causes).toEqual({ shed: 1, unavailable: 0, parked: 1, lane: 0, queue: 0, other: 1 });
    expect(tail.accepted).toBe(1);
    expect(tailBreakdown(new Trace())).toBeNull();
  });
});
