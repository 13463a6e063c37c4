import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { LoadSpec } from './loadgen';

export type LoadResult = {
  requests: number; rps: number; p50: number; p99: number; p999: number | null; errors: number; statuses: Record<string, number>;
  /** Latency percentiles (ms) of the answers with each status. */
  byStatus: Record<string, { p50: number; p99: number }>;
  /** 503 answers that did not say when to come back (invariant overload-is-an-answer wants none). */
  shedWithoutRetryAfter: number;
  /** Requests sent: answered, or not (an error or a timeout). */
  sent: number;
  /** Requests with a definitive answer (2xx, a true refusal) within AVAILABILITY_BOUND_MS: a 503, 5xx, 429 or no answer is not. */
  definitiveInTime: number;
};

/**
 * Honest availability of a load without client retries (definitive-answer-in-time, one request
 * one attempt): the share of requests sent that got a definitive answer within 2 s. A 503 with
 * Retry-After is the contract's answer to overload, but not availability.
 */
export const definitiveWithin2s = (load: LoadResult): number => (load.sent === 0 ? 1 : load.definitiveInTime / load.sent);

/** The core the load generator is pinned to; the systems under test share the machine's other cores. */
export const LOAD_CORE = process.env.BENCH_LOAD_CORE ?? '1';

/** Runs autocannon pinned to one core (taskset), in its own process, and returns its summary. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const script = join(import.meta.dirname, 'loadgen.ts');
  return new Promise((resolve, reject) => {
    execFile(
      'taskset',
      ['-c', LOAD_CORE, process.execPath, '--import', 'tsx', script, JSON.stringify(spec)],
      { maxBuffer: 16 * 1024 * 1024, timeout: (spec.amount ? 600 : spec.seconds + 60) * 1000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`load generator failed: ${error.message}\n${stderr}`));
        const line = stdout.trim().split('\n').pop()!;
        resolve(JSON.parse(line) as LoadResult);
      },
    );
  });
}
