import type { Row } from '../bench/lib/report';
import { percentile } from './metrics';
import { P99_TARGET_MS } from './scenarios';
import type { SaleResult } from './sale';
import type { FinalAnswer, Trace } from './trace';

/**
 * Who the slowest 1 % of final answers are (the answers at or beyond the p99 of all answers),
 * by where each spent most of its time: shed (a 503 overloaded before the final answer, so at
 * least one Retry-After wait), unavailable (a 503 from an unreachable location), parked for a
 * borrowing walk, waiting in its isolate's group-commit lane, queued in the object, or none of
 * these (network and service time).
 */
export type TailCause = 'shed' | 'unavailable' | 'parked' | 'lane' | 'queue' | 'other';

export type TailBreakdown = {
  /** How many answers make up the slowest 1 %, and the fastest of them (the p99). */
  readonly answers: number;
  readonly p99Ms: number;
  readonly causes: Readonly<Record<TailCause, number>>;
  /** Accepted, refused (stock or limit, at the object) among them. */
  readonly accepted: number;
  readonly refused: number;
  /** When they were first sent, 10th to 90th percentile: the moment of the sale they come from (ms from its start). */
  readonly firstSentP10Ms: number;
  readonly firstSentP90Ms: number;
  /** Means over them (ms). */
  readonly meanParkedMs: number;
  readonly meanLaneMs: number;
  readonly meanQueuedMs: number;
};

export function causeOf(a: FinalAnswer): TailCause {
  if (a.overloaded > 0) return 'shed';
  if (a.unavailable > 0) return 'unavailable';
  const most = Math.max(a.parkedMs, a.lanedMs, a.queuedMs);
  // Under a fifth of the answer's time in any of them: the network and service time made it.
  if (most === 0 || most < a.latencyMs / 5) return 'other';
  return most === a.parkedMs ? 'parked' : most === a.lanedMs ? 'lane' : 'queue';
}

/** The slowest 1 % of `trace`'s final answers (nearest rank, as `percentile` takes the p99); null for none. */
export function tailBreakdown(trace: Trace): TailBreakdown | null {
  const finals = trace.finals;
  if (finals.length === 0) return null;
  const sorted = [...finals].sort((a, b) => b.latencyMs - a.latencyMs);
  const tail = sorted.slice(0, finals.length - Math.ceil(0.99 * finals.length) + 1);
  const causes: Record<TailCause, number> = { shed: 0, unavailable: 0, parked: 0, lane: 0, queue: 0, other: 0 };
  for (const a of tail) causes[causeOf(a)]++;
  const sent = tail.map((a) => a.firstSentAt);
  const mean = (f: (a: FinalAnswer) => number) => tail.reduce((sum, a) => sum + f(a), 0) / tail.length;
  return {
    answers: tail.length,
    p99Ms: tail.at(-1)!.latencyMs,
    causes,
    accepted: tail.filter((a) => a.outcome === 'accepted').length,
    refused: tail.filter((a) => a.outcome === 'refused' || a.outcome === 'limit').length,
    firstSentP10Ms: percentile(sent, 0.1)!,
    firstSentP90Ms: percentile(sent, 0.9)!,
    meanParkedMs: mean((a) => a.parkedMs),
    meanLaneMs: mean((a) => a.lanedMs),
    meanQueuedMs: mean((a) => a.queuedMs),
  };
}

const ms = (v: number | null) => (v === null ? '–' : String(Math.round(v * 10) / 10));

/** One sale of the tail study as a printed row. */
/** One sale of the tail study: its mechanism, its bound B, its seed, its result and who made its slowest 1 %. */
export type TailRun = { readonly mechanism: string; readonly batchMax: number; readonly seed: number; readonly result: SaleResult; readonly tail: TailBreakdown | null };

export function tailRow({ mechanism, batchMax, seed, result: r, tail }: TailRun): Row {
  const c = tail?.causes;
  return {
    shards: r.shards,
    B: batchMax,
    seed,
    change: mechanism,
    'all p50 / p99 ms': `${ms(r.answerP50)} / ${ms(r.answerP99)}`,
    'accepted p50 / p99 ms': `${ms(r.p50)} / ${ms(r.p99)}`,
    'refused p50 / p99 ms': `${ms(r.refusedP50)} / ${ms(r.refusedP99)}`,
    '503 answers': r.overloaded + r.unavailable,
    'slowest 1 %: shed / parked / lane / queue / other': c ? `${c.shed + c.unavailable} / ${c.parked} / ${c.lane} / ${c.queue} / ${c.other}` : '–',
    'sent at (p10–p90) ms': tail ? `${Math.round(tail.firstSentP10Ms)}–${Math.round(tail.firstSentP90Ms)}` : '–',
    [`p99 < ${P99_TARGET_MS}`]: r.answerP99 !== null && r.answerP99 < P99_TARGET_MS ? 'yes' : 'no',
    'oversold / stranded': `${r.oversold} / ${r.stranded}`,
  };
}
