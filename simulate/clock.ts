import FlatQueue from 'flatqueue';

/**
 * The simulated clock and its event queue (a binary heap keyed by time, in milliseconds).
 * Events at the same instant run in the heap's order, which depends only on the order they were
 * scheduled in: the run stays deterministic for a seed.
 */
export class Clock {
  now = 0;
  events = 0;
  private readonly queue = new FlatQueue<() => void>();

  at(time: number, action: () => void): void {
    this.queue.push(action, Math.max(time, this.now));
  }

  after(delay: number, action: () => void): void {
    this.at(this.now + delay, action);
  }

  /** Runs events until none is left or the next is later than `until`. */
  run(until = Number.POSITIVE_INFINITY): void {
    while (this.queue.length > 0) {
      const time = this.queue.peekValue()!;
      if (time > until) return;
      const action = this.queue.pop()!;
      this.now = time;
      this.events++;
      action();
    }
  }
}
