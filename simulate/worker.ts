import { UNAVAILABLE, type Answer, type Request, type ReserveRequest } from './protocol';
import { receiveBatch } from './laneCall';
import type { Shard } from './shard';
import type { World } from './world';

/**
 * The Worker's call to a shard object: one network leg there, the object's answer, one leg back.
 * A call into a failed location fails after `detectMs`; so does one whose object failed before its
 * answer got out (the reservation may have committed: the buyer's retry with the same
 * Idempotency-Key then gets the stored answer). The Worker answers both 503 with Retry-After.
 * `sendAfterMs` delays the call (a retry's wait) without an event of its own.
 */
export function callObject(world: World, shard: Shard, request: Request, onAnswer: (answer: Answer) => void, sendAfterMs = 0): void {
  const { detectMs } = world.scenario.failure;
  world.clock.after(sendAfterMs + world.oneWayMs(), () => {
    if (!shard.alive) {
      world.clock.after(detectMs, () => onAnswer(UNAVAILABLE));
      return;
    }
    const incarnation = shard.incarnation;
    shard.receive(request, (answer) => {
      world.clock.after(world.oneWayMs(), () => {
        if (shard.incarnation === incarnation) onAnswer(answer);
        else world.clock.after(detectMs, () => onAnswer(UNAVAILABLE));
      });
    });
  });
}

/**
 * One group-commit call (ADR 0021): the reserves travel together, the object answers them together
 * (`receiveBatch`, laneCall.ts), and a call that fails, fails for all of them, as `callObject` fails.
 */
export function callBatch(
  world: World,
  shard: Shard,
  requests: readonly ReserveRequest[],
  onAnswers: (answers: readonly (Answer | null)[]) => void,
  onLater?: (i: number, answer: Answer) => void,
): void {
  const { detectMs } = world.scenario.failure;
  const failed = () => world.clock.after(detectMs, () => onAnswers(requests.map(() => UNAVAILABLE)));
  world.clock.after(world.oneWayMs(), () => {
    if (!shard.alive) return failed();
    const incarnation = shard.incarnation;
    receiveBatch(
      shard,
      requests,
      (answers) => {
        world.clock.after(world.oneWayMs(), () => {
          if (shard.incarnation === incarnation) onAnswers(answers);
          else failed();
        });
      },
      // A parked reserve's own answer (groupCommit.releaseOnPark): the Worker's follow-up call for it returns.
      onLater &&
        ((i, answer) => {
          world.clock.after(world.oneWayMs(), () => {
            if (shard.incarnation === incarnation) onLater(i, answer);
            else world.clock.after(detectMs, () => onLater(i, UNAVAILABLE));
          });
        }),
    );
  });
}
