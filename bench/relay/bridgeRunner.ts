import { readdirSync, readFileSync } from 'node:fs';
import { startBridgeProcess, type BridgeProcess } from '../../test/e2e/support/processes';

/**
 * The bridge as a process of its own, which the catch-up phase stops and starts again (same port
 * and settings). It is known by its pid from the spawn on: startBridgeProcess hands the process
 * over only once the bridge is done starting (its consumer groups joined), seconds after /ingest
 * took its first push, by when a catch-up is over. Before that, its memory must be sampled, and a
 * failure or a signal must be able to stop it.
 */
export class BridgeRunner {
  #pid: number | null = null;
  constructor(private readonly env: Record<string, string>) {}

  /** Spawns the bridge: its pid at once, the process once it is done starting. */
  start(): { pid: number; ready: Promise<BridgeProcess> } {
    const ready = startBridgeProcess(this.env);
    // A start given up because of a stop is no failure of its own; whoever awaits `ready` still sees it.
    ready.catch(() => undefined);
    this.#pid = bridgeChildPid();
    return { pid: this.#pid, ready };
  }

  /** Stops the bridge, done starting or not, and waits for its end. */
  async stop(): Promise<void> {
    if (this.#pid !== null) await terminate(this.#pid);
    this.#pid = null;
  }
}

/** Our child process running the bridge, from /proc (Linux): spawned just now, the last one ended. */
function bridgeChildPid(): number {
  const children = readdirSync('/proc/self/task').flatMap((task) => readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  const isBridge = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('bridge/main.ts');
    } catch {
      return false; // exited since
    }
  };
  const pid = children.find(isBridge);
  if (pid === undefined) throw new Error('no bridge child process found');
  return pid;
}

/**
 * SIGTERM to a child of ours (the bridge then closes its server and consumers), then waits until
 * it is gone: Node reaps its children, so the pid stops existing. SIGKILL if that takes too long.
 */
async function terminate(pid: number, graceMs = 20_000): Promise<void> {
  const signal = (sig: NodeJS.Signals | 0) => {
    try {
      process.kill(pid, sig);
      return true;
    } catch {
      return false; // ESRCH: gone
    }
  };
  if (!signal('SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (signal(0)) {
    if (Date.now() > deadline) signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Whether /healthz answers 200: the bridge listens once its topics exist, and from then on takes
 * pushes (docs/bridge.md), while its consumers may still be joining their groups. (Not
 * startBridgeProcess's readiness, which also waits for them.)
 */
export async function answersHealthz(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
