import { readFileSync } from 'node:fs';
import { mean, round } from './figures';

export type RssSummary = { maxMiB: number; meanMiB: number; samples: number };

/** A process's resident set now, in MiB (Linux /proc); throws once the process is gone. */
export const rssMiB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** A process's CPU time so far (utime + stime, fields 14 and 15 of /proc/<pid>/stat, ticks of 10 ms), in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Samples a process's resident set from /proc (Linux) from now until `work` settles. */
export function sampleRss(pid: number, everyMs: number): { until(work: Promise<unknown>): Promise<RssSummary> } {
  const samples: number[] = [];
  const read = () => {
    try {
      samples.push(rssMiB(pid));
    } catch {
      // The process went away; the relay phase fails on its own and says why.
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  const stop = (): RssSummary => {
    clearInterval(timer);
    read();
    return { maxMiB: round(Math.max(...samples)), meanMiB: round(mean(samples)), samples: samples.length };
  };
  // Sampling ends with the work, whether it succeeds or fails.
  return { until: (work) => work.then(stop, (error) => (stop(), Promise.reject(error))) };
}
