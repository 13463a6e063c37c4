/**
 * Where each buyer's final reserve answer spent its time, for the tail report (tailReport.ts):
 * the shard records queueing and parking per request key, the buyer's exchange records the
 * final answer with the 503s before it. Observation only: no draw from the random stream.
 */

export type Outcome = 'accepted' | 'refused' | 'limit' | 'edge';

export type FinalAnswer = {
  readonly outcome: Outcome;
  /** When the buyer first sent this request, and how long until its final answer (ms). */
  readonly firstSentAt: number;
  readonly latencyMs: number;
  /** 503 answers (shed by admission control / location unreachable) before the final one. */
  readonly overloaded: number;
  readonly unavailable: number;
  /** Summed over the request's attempts: waiting in its isolate's group-commit lane, in the object's queue, and parked for a walk. */
  readonly lanedMs: number;
  readonly queuedMs: number;
  readonly parkedMs: number;
};

/** A request shed by admission control: when, and what the shard was doing. */
export type Shed = { readonly at: number; readonly walking: boolean; readonly parked: number; readonly sellable: number };

type PerKey = { lanedMs: number; queuedMs: number; parkedMs: number };

export class Trace {
  readonly finals: FinalAnswer[] = [];
  readonly sheds: Shed[] = [];
  private readonly perKey = new Map<number, PerKey>();

  private of(key: number): PerKey {
    let entry = this.perKey.get(key);
    if (!entry) this.perKey.set(key, (entry = { lanedMs: 0, queuedMs: 0, parkedMs: 0 }));
    return entry;
  }

  laned(key: number, ms: number): void {
    this.of(key).lanedMs += ms;
  }

  queued(key: number, ms: number): void {
    this.of(key).queuedMs += ms;
  }

  parked(key: number, ms: number): void {
    this.of(key).parkedMs += ms;
  }

  shed(entry: Shed): void {
    this.sheds.push(entry);
  }

  final(key: number | null, answer: Omit<FinalAnswer, 'lanedMs' | 'queuedMs' | 'parkedMs'>): void {
    const spent = key === null ? undefined : this.perKey.get(key);
    if (key !== null) this.perKey.delete(key);
    this.finals.push({ ...answer, lanedMs: spent?.lanedMs ?? 0, queuedMs: spent?.queuedMs ?? 0, parkedMs: spent?.parkedMs ?? 0 });
  }
}
