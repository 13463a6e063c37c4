/**
 * Admission control of a SKU object: a command that queued too long is refused at once, before it
 * touches storage, instead of being served seconds late while the queue behind it keeps growing.
 *
 * The signal is how long the command waited, not how many wait: calls queued behind the input
 * gate are invisible to the method that runs, but the Worker stamps each call with the time it
 * sent it, and the object reads its clock when the method starts. By Little's law the backlog is
 * about that wait times the object's service rate (depth ≈ wait × rate), so bounding the wait
 * bounds the queue without estimating a rate that changes with what commands cost; like CoDel,
 * it acts on sojourn time. A refusal costs next to nothing, so a queue that passed the bound
 * drains at once and the commands accepted meanwhile keep a latency near the bound, not seconds.
 * The Worker and the object may run on two machines: their clocks differ by milliseconds (NTP),
 * small against a bound of about a second, and a skew only moves the bound by as much.
 */

import type { Overloaded, Ticket } from '../../src/contract/admission';

export type { Overloaded, Ticket };

/**
 * Null when the command may run; the refusal when it waited past its bound. A shed queue drains
 * within about the bound, hence the Retry-After. Unstamped calls (a checkout's steps, which retry
 * by themselves) are always admitted.
 */
export function admit(stamp: Ticket | undefined, now: number): Overloaded | null {
  if (!stamp || now - stamp.sentAt <= stamp.maxWaitMs) return null;
  return { code: 'overloaded', retryAfterSeconds: Math.max(1, Math.ceil(stamp.maxWaitMs / 1000)) };
}
