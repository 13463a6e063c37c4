import { expect } from 'vitest';
import type { Decider } from '../../src/domain/core/decider';
import { fold } from '../../src/domain/core/decider';

/**
 * given(events).when(command).then(events) / .thenFails(error): specifications that read as
 * the business rules they check.
 */
export function deciderSpec<S, C, E, Err>(decider: Decider<S, C, E, Err>, now: number) {
  return {
    given(events: readonly E[]) {
      const state = fold(decider.evolve, decider.initialState(), events);
      return {
        when(command: C) {
          const result = decider.decide(command, state, now);
          return {
            then(expected: readonly E[]) {
              expect(result).toEqual({ ok: true, value: expected });
            },
            thenNothing() {
              expect(result).toEqual({ ok: true, value: [] });
            },
            thenFails(expected: Err) {
              expect(result).toEqual({ ok: false, error: expected });
            },
          };
        },
      };
    },
  };
}
