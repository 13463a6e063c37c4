import type { Outcome } from '../../src/contract/outcome';
import type { ReservationView } from '../../src/domain/sku';
import type { BatchAnswer, GroupCall } from './requests';

/**
 * Group commit inside the SKU object (ADR 0021): reserves, completes and cancels that reach the
 * object while it is busy wait here and are decided together (`groupCommit.ts`), one transaction
 * for all of them. The object groups what its own input delivered, so no request's promise is
 * settled by another request's I/O: the Worker sends each command in its own call, from its own context.
 *
 * The first command of an idle object waits one turn of the event loop (a zero timer), so that calls
 * already delivered behind it join its group; then the group runs. Commands that arrive while a group
 * runs form the next one, decided the moment it ends. No timer stretches an idle object's latency
 * beyond that one turn.
 */
type Waiting<C, A> = { call: C; answer: (a: A) => void; fail: (error: unknown) => void };

/** Calls that reached the object together, run as one group a turn later (any kind: a sibling's lends use it too). */
export class TurnQueue<C, A> {
  readonly #waiting: Waiting<C, A>[] = [];
  readonly #run: (calls: readonly C[]) => Promise<A[]>;
  readonly #max: number;
  #running = false;
  /** Groups decided and the commands in them, since this instance started (tests, and the mean group size). */
  readonly seen = { groups: 0, commands: 0 };

  constructor(run: (calls: readonly C[]) => Promise<A[]>, max: number) {
    this.#run = run;
    this.#max = max;
  }

  submit(call: C): Promise<A> {
    return new Promise<A>((answer, fail) => {
      this.#waiting.push({ call, answer, fail });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiting.length > 0) {
        await nextTurn();
        const group = this.#waiting.splice(0, this.#max);
        this.seen.groups++;
        this.seen.commands += group.length;
        try {
          const answers = await this.#run(group.map((w) => w.call));
          group.forEach((w, i) => w.answer(answers[i]!));
        } catch (error) {
          // The group failed as a whole (its transaction threw): each of its calls sees the error, as alone.
          for (const w of group) w.fail(error);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}

/** One turn of the event loop: calls the runtime already delivered to the object run first. */
const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Reserves, completes and cancels grouped (ADR 0021). */
export class CommandQueue extends TurnQueue<GroupCall, BatchAnswer> {
  /** The command decided in its group; what deciding it threw is thrown for this call alone, as without grouping. */
  async decide(call: GroupCall): Promise<Outcome<ReservationView>> {
    const answer = await this.submit(call);
    if ('thrown' in answer) throw new Error(answer.thrown);
    if (!('outcome' in answer)) throw new Error('a reserve that did not walk was sent back to walk');
    return answer.outcome;
  }
}
