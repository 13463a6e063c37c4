import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { round } from '../relay/figures';
import { cpuMs, rssMiB } from '../relay/rss';

/** Anonymous (heap, malloc: V8 and SQLite's page cache) and file-backed resident memory (Linux /proc). */
function rssParts(pid: number): { rssAnonMiB: number; rssFileMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rssAnonMiB: round(kib('RssAnon') / 1024), rssFileMiB: round((kib('RssFile') + kib('RssShmem')) / 1024) };
}

/** Bytes of the SQLite databases (and their WAL) under the runtime's state directory. */
export function sqliteMiB(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.sqlite(-wal)?$/.test(entry.name)) bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return round(bytes / 2 ** 20);
}

export type WorkerdSample = { rssMaxMiB: number; rssAnonMiB: number; rssFileMiB: number; cpuMs: number };

/**
 * Samples workerd's resident set and CPU time (/proc, Linux). Each window takes the peak memory
 * seen since the previous one and the CPU spent meanwhile: CPU per reservation is the cost of a
 * command, which other work on the machine cannot inflate the way it can stretch wall time.
 */
export class WorkerdSampler {
  #peak = 0;
  #cpuAt: number;
  readonly #timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.#cpuAt = cpuMs(pid);
    this.#timer = setInterval(() => this.#read(), 250);
  }
  #read(): number {
    const mib = rssMiB(this.pid);
    this.#peak = Math.max(this.#peak, mib);
    return mib;
  }
  take(): WorkerdSample {
    this.#read();
    const cpu = cpuMs(this.pid);
    const sample = { rssMaxMiB: round(this.#peak), ...rssParts(this.pid), cpuMs: cpu - this.#cpuAt };
    this.#peak = 0;
    this.#cpuAt = cpu;
    return sample;
  }
  stop(): number {
    clearInterval(this.#timer);
    return round(this.#read());
  }
}
