/**
 * The Worker's half of group commit (ADR 0021): per object, one call in flight from this isolate;
 * commands arriving meanwhile queue and leave together, up to `max`, when it returns. No timer:
 * an idle object gets its command at once, and a busy one gets the next batch the moment it is
 * free, so the wait a command adds is at most the call before it.
 *
 * The request that found the object idle sends the batches from its own context (`waitUntil`
 * keeps it alive past its own answer), at most `MAX_BATCHES_PER_SENDER` of them or until a call
 * fails: the runtime binds calls to the request that made them and bounds how many one request
 * makes, and a failed call may mean its context is gone. Then the requests still queued submit
 * again, each from its own context: the first one to do so sends the next batches.
 *
 * A waiting request has a timer of its own: the runtime cancels a request with nothing pending
 * in its context as hung, and a JS promise another request will settle is not something pending.
 * The timer is also the bound on the wait: past `maxWaitMs` the request is answered overloaded
 * (503, safe to retry under its key), and a lane whose call has not returned by then is given up,
 * so one lost call (its request's context destroyed) cannot stall the object's reserves for good.
 */

/** One command's answer and the size of the batch that carried it (for tests and benchmarks). */
export type Carried<A> = { answer: A; batch: number };

/** Batches one request sends before it hands the lane on (the runtime counts a request's calls). */
export const MAX_BATCHES_PER_SENDER = 16;

/** Told to a queued request whose sender stopped: submit again. */
const AGAIN = Symbol('again');
type Member<A> = { answer: (carried: Carried<A> | typeof AGAIN) => void; fail: (error: unknown) => void };
type Queued<C, A> = { call: C; member: Member<A> };
type Lane<C, A> = { queue: Queued<C, A>[]; sentAt: number };

/** What the runtime's own overload looks like (`overload.ts`): a 503 with Retry-After, safe to retry. */
const waitedTooLong = () => Object.assign(new Error('reserve waited too long for its batch'), { overloaded: true });

export type Send<C, A> = (calls: C[]) => Promise<A[]>;

export class Coalescer<C, A> {
  /** Only objects with a call in flight have a lane: the map is as large as the isolate's busy objects. */
  readonly #lanes = new Map<string, Lane<C, A>>();
  readonly #max: number;
  readonly #maxWaitMs: number;

  constructor(max: number, maxWaitMs: number) {
    this.#max = max;
    this.#maxWaitMs = maxWaitMs;
  }

  /** `send` is the calling request's own (its stub, its context); `keepAlive` its `waitUntil`. */
  async submit(key: string, call: C, send: Send<C, A>, keepAlive: (work: Promise<unknown>) => void): Promise<Carried<A>> {
    for (;;) {
      const carried = await this.#enter(key, call, send, keepAlive);
      if (carried !== AGAIN) return carried;
    }
  }

  #enter(key: string, call: C, send: Send<C, A>, keepAlive: (work: Promise<unknown>) => void): Promise<Carried<A> | typeof AGAIN> {
    const now = Date.now();
    const lane = this.#lanes.get(key);
    // A call out longer than any wait is taken as lost: a new lane replaces its lane.
    if (lane && now - lane.sentAt <= this.#maxWaitMs) return this.#wait(lane, call);
    const mine: Lane<C, A> = { queue: [], sentAt: now };
    this.#lanes.set(key, mine);
    const answered = this.#wait(mine, call, false);
    keepAlive(this.#drive(key, mine, send));
    return answered;
  }

  #wait(lane: Lane<C, A>, call: C, timed = true): Promise<Carried<A> | typeof AGAIN> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return new Promise<Carried<A> | typeof AGAIN>((answer, fail) => {
      const queued = { call, member: { answer, fail } };
      lane.queue.push(queued);
      if (!timed) return;
      timer = setTimeout(() => {
        const at = lane.queue.indexOf(queued);
        if (at >= 0) lane.queue.splice(at, 1);
        fail(waitedTooLong());
      }, this.#maxWaitMs);
    }).finally(() => clearTimeout(timer));
  }

  /** Sends batches until the lane's queue is empty, each member answered as its batch returns; or hands the lane on. */
  async #drive(key: string, lane: Lane<C, A>, send: Send<C, A>): Promise<void> {
    let sent = 0;
    let failed = false;
    for (let batch = lane.queue.splice(0, this.#max); batch.length > 0; batch = lane.queue.splice(0, this.#max)) {
      lane.sentAt = Date.now();
      sent++;
      try {
        const answers = await send(batch.map((q) => q.call));
        if (answers.length !== batch.length) throw new Error(`a batch of ${batch.length} was answered ${answers.length} times`);
        batch.forEach((q, i) => q.member.answer({ answer: answers[i]!, batch: batch.length }));
      } catch (error) {
        // The call failed as a whole (the runtime's overload, a lost connection): every member sees it, as it would alone.
        for (const q of batch) q.member.fail(error);
        failed = true;
      }
      if (failed || sent >= MAX_BATCHES_PER_SENDER) break;
    }
    // Given up as lost meanwhile: the lane that replaced it is not this one's to remove.
    if (this.#lanes.get(key) === lane) this.#lanes.delete(key);
    for (const q of lane.queue.splice(0)) q.member.answer(AGAIN);
  }
}
