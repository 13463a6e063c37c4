import { MAX_NOTES, type AllocationSaga, type SagaPhase, type SagaPolicy } from './saga';

/** The small moves every rule of the saga makes: a command due now, a wait for events, a note, a backoff. */
export const due = (saga: AllocationSaga, now: number): AllocationSaga => ({ ...saga, attempts: 0, nextAttemptAt: now });
export const wait = (saga: AllocationSaga, phase: SagaPhase): AllocationSaga => ({ ...saga, phase, attempts: 0, nextAttemptAt: null });

export function note(saga: AllocationSaga, text: string, now: number): AllocationSaga {
  return { ...saga, notes: [...saga.notes, { at: now, note: text }].slice(-MAX_NOTES) };
}

export const backoff = (attempts: number, policy: SagaPolicy): number => Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.min(attempts - 1, 20));
