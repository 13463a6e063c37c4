import { OVERLOADED, UNAVAILABLE, type Answer, type Reply, type ReserveRequest } from './protocol';
import type { Shard } from './shard';

/**
 * The object's side of a call of the retired Worker lanes (groupCommit.where 'worker',
 * groupCommit.ts; ADR 0021's first version): each reserve admitted as alone (the depth counts it),
 * the admitted ones decided in order as one command whose time grows with their number; the call
 * is answered when every reserve is (a borrowing one waits for its units). With
 * groupCommit.releaseOnPark it is answered once each is decided or parked (null), and a parked
 * one's answer goes to `later` when it comes.
 */
export function receiveBatch(shard: Shard, requests: readonly ReserveRequest[], reply: (answers: (Answer | null)[]) => void, later?: (i: number, answer: Answer) => void): void {
  const world = shard.world;
  const answers: (Answer | null)[] = requests.map(() => OVERLOADED);
  const admitted = requests.slice(0, Math.max(0, Math.min(requests.length, shard.room())));
  for (let i = admitted.length; i < requests.length; i++) shard.traceShed();
  if (admitted.length === 0) return reply(answers);
  const queuedAt = world.now;
  let unanswered = admitted.length;
  let released = false;
  const answered = admitted.map(() => false);
  const answerOf = (i: number): Reply => (answer) => {
    if (released) return later!(i, answer);
    answers[i] = answer;
    answered[i] = true;
    if (--unanswered === 0) reply(answers);
  };
  const releaseParked = () => {
    if (!world.scenario.groupCommit.releaseOnPark || unanswered === 0 || !later) return;
    released = true;
    answered.forEach((done, i) => {
      if (!done) answers[i] = null;
    });
    reply(answers);
  };
  shard.enqueue({
    weight: admitted.length,
    start: () => {
      for (const request of admitted) world.metrics.trace.queued(request.key, world.now - queuedAt);
      return world.batchServiceMs(admitted.length);
    },
    run: () => {
      admitted.forEach((request, i) => shard.settleReserve(request, answerOf(i)));
      releaseParked();
    },
    lost: () => admitted.forEach((_, i) => answerOf(i)(UNAVAILABLE)),
    admit: shard.sojourn(queuedAt, () => admitted.forEach((_, i) => answerOf(i)(OVERLOADED))),
  });
  world.metrics.maxDepth = Math.max(world.metrics.maxDepth, shard.depth);
}
