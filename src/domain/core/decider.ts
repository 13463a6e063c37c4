import type { Result } from './result';

/**
 * The decider pattern: the whole business logic of one stream as three pure values.
 * `now` is passed in so that decisions are reproducible in tests and replays.
 */
export type Decider<State, Command, Event, Error> = {
  decide: (command: Command, state: State, now: number) => Result<readonly Event[], Error>;
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
};

export function fold<State, Event>(
  evolve: (state: State, event: Event) => State,
  state: State,
  events: Iterable<Event>,
): State {
  let current = state;
  for (const event of events) current = evolve(current, event);
  return current;
}
