import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LOAD_CORE } from '../lib/load';
import type { DriverSpec, WindowResult } from './driver';

/** Runs the driver pinned to the load core; `onWindow` sees each window as it closes. */
export function runDriver(spec: DriverSpec, onWindow: (w: WindowResult) => void = () => {}): Promise<WindowResult[]> {
  const child = spawn('taskset', ['-c', LOAD_CORE, process.execPath, '--import', 'tsx', join(import.meta.dirname, 'driver.ts'), JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const windows: WindowResult[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const parsed = JSON.parse(line) as WindowResult | { done: true };
    if ('done' in parsed) return;
    windows.push(parsed);
    onWindow(parsed);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(windows) : reject(new Error(`load driver exited ${code}`))));
  });
}

/** The workerd process Miniflare started for us (Linux /proc): the one whose memory is measured. */
export function workerdPid(): number {
  const children = (pid: number): number[] => {
    try {
      return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    } catch {
      return [];
    }
  };
  const queue = children(process.pid);
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'workerd') return pid;
    queue.push(...children(pid));
  }
  throw new Error('no workerd child process found');
}
