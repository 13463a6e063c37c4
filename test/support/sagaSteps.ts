import { decideSaga, type AllocationSaga, type SagaCommand, type SagaMessage, type SagaPolicy } from '../../src/domain/allocation';

/**
 * Given messages at their times (ms after `t0`), the saga after them, every command issued on the
 * way, and the last step's: the allocation saga's specifications read as their business rules.
 */
export function sagaSteps(policy: SagaPolicy, t0: number) {
  return (steps: [SagaMessage, number][]) => {
    let saga: AllocationSaga | null = null;
    const issued: SagaCommand[][] = [];
    for (const [message, at] of steps) {
      const decision = decideSaga(saga, message, policy, t0 + at);
      saga = decision.saga;
      issued.push(decision.commands);
    }
    return { saga: saga!, issued, last: issued.at(-1)! };
  };
}
