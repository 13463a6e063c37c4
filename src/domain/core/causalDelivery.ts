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
  /** The cause it is filed under in the waiting index, to take it out if its stream is forgotten. */
  waitsFor: string;
  waitsAt: number;
  /** Set when delivered or dropped: the arrival queue drops it lazily. */
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
 * or is delivered: each event is touched about once per cause, whatever the number held. The
 * delivered version is one entry per stream seen, so a consumer whose streams come and go
 * (a checkout per order) `forget`s the ones it is done with.
 */
export class CausalOrder<E> {
  readonly #stamp: (event: E) => Stamp;
  readonly #delivered = new Map<string, number>();
  /** Held events by the exact cause they wait for: stream → version → waiter(s). Nearly always one waiter, so no array for it. */
  readonly #waiting = new Map<string, Map<number, Held<E> | Held<E>[]>>();
  /** The events held per stream and version, to drop a redelivery of an event still held and to forget a stream. */
  readonly #heldOf = new Map<string, Map<number, Held<E>>>();
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
    if (stamp.version <= this.deliveredOf(stamp.stream) || this.#heldOf.get(stamp.stream)?.has(stamp.version)) return [];
    const offered: Held<E> = { event, stamp, since: now, causes: null, checked: 0, waitsFor: '', waitsAt: 0, released: false };
    if (this.#fileUnderBlocker(offered)) {
      this.#hold(offered);
      return [];
    }
    return this.#deliver([offered], offered);
  }

  /**
   * Forgets a stream its consumer is done with, so that memory follows live streams, never every
   * stream ever seen: its delivered version and its held events are dropped. The caller promises
   * that nothing more of the stream will be offered (a later event of it would be taken for a new
   * stream's and wait for versions 1, 2, …) and must not offer events naming it in `causedBy`
   * (they would wait for it). Events already held for one of its versions can no longer get it,
   * so that cause is waived: they are answered if nothing else holds them, like `offer`'s.
   */
  forget(stream: string): E[] {
    this.#delivered.delete(stream);
    // Its held events leave the waiting index slot by slot, each slot filtered once however
    // many of them it files.
    const slots = new Map<string, Set<number>>();
    for (const held of [...(this.#heldOf.get(stream)?.values() ?? [])]) {
      this.#unhold(held);
      slots.set(held.waitsFor, (slots.get(held.waitsFor) ?? new Set()).add(held.waitsAt));
    }
    for (const [cause, versions] of slots) for (const version of versions) this.#dropReleased(cause, version);
    const waiters = this.#waiting.get(stream);
    this.#waiting.delete(stream);
    const ready: Held<E>[] = [];
    for (const filed of waiters?.values() ?? []) {
      for (const waiter of Array.isArray(filed) ? filed : [filed]) {
        waiter.checked++; // It was filed under its cause on `stream`: waived.
        ready.push(waiter);
      }
    }
    return this.#deliver(ready, null);
  }

  /**
   * Delivers `ready` in turn, each once nothing holds it any more, and everything each delivery
   * wakes; `fresh` is the offered event, never held. A FIFO with a head index: one delivery can
   * release a million held events, so no `shift()` (linear each) and no `push(...list)` (the
   * spread overflows the call stack).
   */
  #deliver(ready: Held<E>[], fresh: Held<E> | null): E[] {
    const out: E[] = [];
    for (let head = 0; head < ready.length; head++) {
      const next = ready[head]!;
      if (next !== fresh && this.#fileUnderBlocker(next)) continue;
      if (next !== fresh) this.#unhold(next);
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

  /** Whether anything of the stream was delivered or is held: a stream met for the first time is not. */
  knows(stream: string): boolean {
    return this.#delivered.has(stream) || (this.#heldOf.get(stream)?.size ?? 0) > 0;
  }

  /** How many streams have a delivered version remembered. */
  get streams(): number {
    return this.#delivered.size;
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
   * What only another source can bring: per stream, the highest version some held event waits for
   * that has not arrived at all. `missing` also counts versions that arrived and are held
   * themselves, waiting for something else.
   */
  absent(): VectorClock {
    const needs: VectorClock = {};
    for (const [stream, byVersion] of this.#waiting) {
      const held = this.#heldOf.get(stream);
      let highest = 0;
      for (const version of byVersion.keys()) if (!held?.has(version)) highest = Math.max(highest, version);
      if (highest > 0) needs[stream] = highest;
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
    held.waitsFor = stream;
    held.waitsAt = version;
    let byVersion = this.#waiting.get(stream);
    if (!byVersion) this.#waiting.set(stream, (byVersion = new Map<number, Held<E> | Held<E>[]>()));
    const filed = byVersion.get(version);
    if (filed === undefined) byVersion.set(version, held);
    else if (Array.isArray(filed)) filed.push(held);
    else byVersion.set(version, [filed, held]);
    return true;
  }

  /** Takes the dropped (released) events out of one waiting slot. */
  #dropReleased(stream: string, version: number): void {
    const byVersion = this.#waiting.get(stream)!;
    const filed = byVersion.get(version)!;
    const kept = Array.isArray(filed) ? filed.filter((w) => !w.released) : filed.released ? [] : [filed];
    if (kept.length > 1) byVersion.set(version, kept);
    else if (kept.length === 1) byVersion.set(version, kept[0]!);
    else byVersion.delete(version);
    if (byVersion.size === 0) this.#waiting.delete(stream);
  }

  #hold(held: Held<E>): void {
    const { stream, version } = held.stamp;
    let versions = this.#heldOf.get(stream);
    if (!versions) this.#heldOf.set(stream, (versions = new Map<number, Held<E>>()));
    versions.set(version, held);
    this.#heldCount++;
    this.#arrivals.push(held);
  }

  #unhold(held: Held<E>): void {
    const { stream, version } = held.stamp;
    const versions = this.#heldOf.get(stream)!;
    versions.delete(version);
    if (versions.size === 0) this.#heldOf.delete(stream);
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
