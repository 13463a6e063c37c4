import type { VectorClock } from './vectorClock';

/** Where an event sits: its stream, its version in that stream, and the events that caused it. */
export type Stamp = { stream: string; version: number; causedBy: VectorClock };

type Held<E> = { event: E; stamp: Stamp; since: number };

/**
 * Causal delivery for a consumer that joins several streams (Kafka orders a partition, never
 * two): an event is delivered once its stream's previous version and everything in its
 * `causedBy` have been delivered; until then it is held. Duplicates (at-least-once delivery) are
 * dropped. Deterministic and free of I/O and clocks (`now` only dates held events), so the
 * bridge's consumers and the property tests run the same code.
 */
export class CausalOrder<E> {
  readonly #stamp: (event: E) => Stamp;
  readonly #delivered = new Map<string, number>();
  /** Held events by the stream whose progress they wait for: one delivery wakes only its waiters. */
  readonly #waiting = new Map<string, Held<E>[]>();
  readonly #heldKeys = new Set<string>();

  constructor(stamp: (event: E) => Stamp) {
    this.#stamp = stamp;
  }

  /** Offers one event; answers every event that became deliverable, in an order that respects causality. */
  offer(event: E, now: number): E[] {
    const stamp = this.#stamp(event);
    const key = `${stamp.stream}\n${stamp.version}`;
    if (stamp.version <= this.deliveredOf(stamp.stream) || this.#heldKeys.has(key)) return [];
    const out: E[] = [];
    const queue: Held<E>[] = [{ event, stamp, since: now }];
    for (let next = queue.shift(); next; next = queue.shift()) {
      const blocker = this.#blocker(next.stamp);
      if (blocker) {
        this.#hold(blocker, next);
        continue;
      }
      this.#heldKeys.delete(`${next.stamp.stream}\n${next.stamp.version}`);
      this.#delivered.set(next.stamp.stream, next.stamp.version);
      out.push(next.event);
      const woken = this.#waiting.get(next.stamp.stream);
      if (woken) {
        this.#waiting.delete(next.stamp.stream);
        queue.push(...woken);
      }
    }
    return out;
  }

  deliveredOf(stream: string): number {
    return this.#delivered.get(stream) ?? 0;
  }

  /** Everything delivered so far, as a clock. */
  get delivered(): VectorClock {
    return Object.fromEntries(this.#delivered);
  }

  get heldCount(): number {
    return this.#heldKeys.size;
  }

  /** When the longest-held event arrived, or null: what an alert on stuck causes watches. */
  oldestHeldSince(): number | null {
    let oldest: number | null = null;
    for (const list of this.#waiting.values()) for (const h of list) oldest = oldest === null ? h.since : Math.min(oldest, h.since);
    return oldest;
  }

  /** What the held events wait for: per stream, the highest version some held event needs. */
  missing(): VectorClock {
    const needs: VectorClock = {};
    for (const list of this.#waiting.values()) {
      for (const { stamp } of list) {
        const blocker = this.#blocker(stamp);
        if (blocker) needs[blocker.stream] = Math.max(needs[blocker.stream] ?? 0, blocker.version);
      }
    }
    return needs;
  }

  /** The first cause not delivered yet: its own stream's previous version, else a `causedBy` entry. */
  #blocker(stamp: Stamp): { stream: string; version: number } | null {
    if (this.deliveredOf(stamp.stream) < stamp.version - 1) return { stream: stamp.stream, version: stamp.version - 1 };
    for (const [stream, version] of Object.entries(stamp.causedBy)) {
      if (stream !== stamp.stream && this.deliveredOf(stream) < version) return { stream, version };
    }
    return null;
  }

  #hold(blocker: { stream: string }, held: Held<E>): void {
    this.#heldKeys.add(`${held.stamp.stream}\n${held.stamp.version}`);
    const list = this.#waiting.get(blocker.stream);
    if (list) list.push(held);
    else this.#waiting.set(blocker.stream, [held]);
  }
}
