import type { VectorClock } from './vectorClock';

/** Where an event sits: its stream, its version in that stream, and the events that caused it. */
export type Stamp = { stream: string; version: number; causedBy: VectorClock };

type Held<E> = {
  readonly event: E;
  readonly stamp: Stamp;
  readonly since: number;
  /** `causedBy`'s streams, read once; every one before `checked` is delivered already. */
  causes: string[] | null;
  checked: number;
  /** Set when delivered: the arrival queue drops it lazily. */
  released: boolean;
};

/**
 * Causal delivery for a consumer that joins several streams (Kafka orders a partition, never
 * two): an event is delivered once its stream's previous version and everything in its
 * `causedBy` have been delivered; until then it is held. Duplicates (at-least-once delivery) are
 * dropped. Deterministic and free of I/O and clocks (`now` only dates held events), so the
 * bridge's consumers and the property tests run the same code.
 *
 * Cost follows live work, never history: a held event is filed under the one (stream, version)
 * it waits for first, and a stream advances one version at a time, so delivering (s, v) wakes
 * exactly the events filed under (s, v). A woken event files itself under its next missing cause
 * or is delivered: each event is touched about once per cause, whatever the number held.
 */
export class CausalOrder<E> {
  readonly #stamp: (event: E) => Stamp;
  readonly #delivered = new Map<string, number>();
  /** Held events by the exact cause they wait for: stream → version → waiter(s). Nearly always one waiter, so no array for it. */
  readonly #waiting = new Map<string, Map<number, Held<E> | Held<E>[]>>();
  /** The versions held per stream, to drop a redelivery of an event still held. */
  readonly #heldVersions = new Map<string, Set<number>>();
  #heldCount = 0;
  /**
   * Held events in arrival order. A delivered one stays until it reaches the head or the queue
   * is compacted, which happens once most entries are delivered ones: an event stuck at the
   * head for good does not make the queue grow with everything that passed after it.
   */
  #arrivals: Held<E>[] = [];
  #arrivalsHead = 0;

  constructor(stamp: (event: E) => Stamp) {
    this.#stamp = stamp;
  }

  /** Offers one event; answers every event that became deliverable, in an order that respects causality. */
  offer(event: E, now: number): E[] {
    const stamp = this.#stamp(event);
    if (stamp.version <= this.deliveredOf(stamp.stream) || this.#heldVersions.get(stamp.stream)?.has(stamp.version)) return [];
    const offered: Held<E> = { event, stamp, since: now, causes: null, checked: 0, released: false };
    if (this.#fileUnderBlocker(offered)) {
      this.#hold(offered);
      return [];
    }
    // A FIFO with a head index: one delivery can release a million held events, so no
    // `shift()` (linear each) and no `push(...list)` (the spread overflows the call stack).
    const out: E[] = [];
    const ready: Held<E>[] = [offered];
    for (let head = 0; head < ready.length; head++) {
      const next = ready[head]!;
      if (next !== offered && this.#fileUnderBlocker(next)) continue;
      if (next !== offered) this.#unhold(next);
      const { stream, version } = next.stamp;
      this.#delivered.set(stream, version);
      out.push(next.event);
      const byVersion = this.#waiting.get(stream);
      const woken = byVersion?.get(version);
      if (!woken) continue;
      byVersion!.delete(version);
      if (byVersion!.size === 0) this.#waiting.delete(stream);
      if (Array.isArray(woken)) for (const waiter of woken) ready.push(waiter);
      else ready.push(woken);
    }
    this.#compactArrivals();
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
    return this.#heldCount;
  }

  /**
   * When the longest-held event arrived, or null: what an alert on stuck causes watches. The
   * longest-held is the earliest arrival still held; with a non-decreasing `now` (the bridge's
   * wall clock) its date is also the earliest date of any held event.
   */
  oldestHeldSince(): number | null {
    while (this.#arrivalsHead < this.#arrivals.length && this.#arrivals[this.#arrivalsHead]!.released) this.#arrivalsHead++;
    return this.#arrivals[this.#arrivalsHead]?.since ?? null;
  }

  /**
   * What the held events wait for: per stream, the highest version some held event needs. Each
   * held event is filed under its first missing cause, so the index's keys are the answer.
   */
  missing(): VectorClock {
    const needs: VectorClock = {};
    for (const [stream, byVersion] of this.#waiting) {
      let highest = 0;
      for (const version of byVersion.keys()) highest = Math.max(highest, version);
      needs[stream] = highest;
    }
    return needs;
  }

  /**
   * Files the event under its first cause not delivered yet (its own stream's previous version,
   * else a `causedBy` entry), answering false if there is none. Causes already seen delivered
   * stay delivered, so the scan of `causedBy` resumes where it stopped.
   */
  #fileUnderBlocker(held: Held<E>): boolean {
    const { stream, version } = held.stamp;
    if (this.deliveredOf(stream) < version - 1) return this.#file(stream, version - 1, held);
    held.causes ??= Object.keys(held.stamp.causedBy);
    for (; held.checked < held.causes.length; held.checked++) {
      const cause = held.causes[held.checked]!;
      const needed = held.stamp.causedBy[cause]!;
      if (cause !== stream && this.deliveredOf(cause) < needed) return this.#file(cause, needed, held);
    }
    return false;
  }

  #file(stream: string, version: number, held: Held<E>): true {
    let byVersion = this.#waiting.get(stream);
    if (!byVersion) this.#waiting.set(stream, (byVersion = new Map()));
    const filed = byVersion.get(version);
    if (filed === undefined) byVersion.set(version, held);
    else if (Array.isArray(filed)) filed.push(held);
    else byVersion.set(version, [filed, held]);
    return true;
  }

  #hold(held: Held<E>): void {
    const { stream, version } = held.stamp;
    let versions = this.#heldVersions.get(stream);
    if (!versions) this.#heldVersions.set(stream, (versions = new Set()));
    versions.add(version);
    this.#heldCount++;
    this.#arrivals.push(held);
  }

  #unhold(held: Held<E>): void {
    const { stream, version } = held.stamp;
    const versions = this.#heldVersions.get(stream)!;
    versions.delete(version);
    if (versions.size === 0) this.#heldVersions.delete(stream);
    this.#heldCount--;
    held.released = true;
  }

  /** Keeps only held events once delivered ones outnumber them: linear, but paid for by those deliveries. */
  #compactArrivals(): void {
    if (this.#arrivals.length <= 2 * this.#heldCount + 1024) return;
    const live: Held<E>[] = [];
    for (let i = this.#arrivalsHead; i < this.#arrivals.length; i++) if (!this.#arrivals[i]!.released) live.push(this.#arrivals[i]!);
    this.#arrivals = live;
    this.#arrivalsHead = 0;
  }
}
