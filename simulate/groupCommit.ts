import { Lanes } from './coalescer';
import type { Answer, Reply, Request, ReserveRequest } from './protocol';
import type { Shard } from './shard';
import { callBatch, callObject } from './worker';
import type { World } from './world';

type Waiting = { readonly request: ReserveRequest; readonly reply: Reply; readonly submittedAt: number };

/**
 * The Worker isolates between buyers and objects. With group commit on (`groupCommit.max` > 1), a
 * reserve lands on a random isolate and goes through that isolate's lane for its object (ADR 0021):
 * sent at once if no call is in flight from there, else with the reserves queued behind that call
 * when it returns. Completes, and every request with group commit off, go alone as before.
 * Not modelled: the 5 s bound on a queued reserve's wait and the sender hand-off after 16 batches
 * (who sends, not when), both of which matter only when a call takes seconds.
 */
export class Isolates {
  private readonly lanes: Lanes<Shard, Waiting>[];

  constructor(private readonly world: World) {
    const { max, isolates, where } = world.scenario.groupCommit;
    this.lanes = Array.from({ length: max > 1 && where === 'worker' ? isolates : 0 }, () => new Lanes<Shard, Waiting>(max));
  }

  /** A buyer's request, `sendAfterMs` from now (a retry's wait). */
  call(shard: Shard, request: Request, onAnswer: (answer: Answer) => void, sendAfterMs = 0): void {
    if (request.kind !== 'reserve' || this.lanes.length === 0) {
      if (request.kind === 'reserve') this.world.metrics.reserveCall(1);
      return callObject(this.world, shard, request, onAnswer, sendAfterMs);
    }
    this.world.clock.after(sendAfterMs, () => {
      const lanes = this.lanes[Math.floor(this.world.random.next() * this.lanes.length)]!;
      const call = lanes.submit(shard, { request, reply: onAnswer, submittedAt: this.world.now });
      if (call) this.send(lanes, shard, call);
    });
  }

  private send(lanes: Lanes<Shard, Waiting>, shard: Shard, call: Waiting[]): void {
    this.world.metrics.reserveCall(call.length);
    for (const w of call) this.world.metrics.trace.laned(w.request.key, this.world.now - w.submittedAt);
    callBatch(
      this.world,
      shard,
      call.map((w) => w.request),
      (answers) => {
        call.forEach((w, i) => {
          const answer = answers[i];
          if (answer) w.reply(answer);
        });
        const next = lanes.returned(shard);
        if (next) this.send(lanes, shard, next);
      },
      (i, answer) => call[i]!.reply(answer),
    );
  }
}
