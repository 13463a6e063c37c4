import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** `pid` lets a benchmark sample the process (its RSS from /proc). */
export type ServiceProcess = { url: string; pid: number; output: () => string; kill(signal: NodeJS.Signals): Promise<void> };
/** `url`: the public listener (ingest, /healthz); `adminUrl`: the operators' (/admin, /metrics, /dashboard). */
export type BridgeProcess = ServiceProcess & { adminUrl: string };

/** Each component's own admin key in the tests, all different, so a key sent to the wrong one fails (ADR 0003). */
export const BRIDGE_ADMIN_KEY = 'e2e-bridge-admin';
export const WMS_ADMIN_KEY = 'e2e-wms-admin';

/**
 * A TypeScript entry point of the project as its own process, ready once `url`/healthz answers,
 * and that of every other listener it has (`alsoUrls`): one up alone may be a process about to exit.
 */
async function startService(name: string, entry: string, url: string, env: Record<string, string>, timeoutMs: number, nodeFlags: readonly string[] = [], alsoUrls: readonly string[] = []): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', entry], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const deadline = Date.now() + timeoutMs;
  const allHealthy = async () => (await Promise.all([url, ...alsoUrls].map(healthy))).every(Boolean);
  while (!(await allHealthy())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not become healthy:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, pid: child.pid!, output: () => output, kill: (signal) => killAndWait(child, signal) };
}

/**
 * The bridge's V8 heap, sized for its resident-memory target (under 200 MiB over a long relay,
 * `npm run bench:bridge-memory`). It keeps some 30 MiB of live objects, yet with V8's defaults
 * its heap reached ~175 MiB, mostly garbage not yet collected: with a heap limit of several GiB
 * (the default on a large machine) V8 lets the old generation grow to about four times what
 * survived its last full collection, below 2 GiB by 1.3 to 2 times. 1 GiB is far above any live
 * set the target allows, and took the old generation from ~135 MiB to ~40 MiB at a relay rate
 * within the run-to-run noise (~10%); 8 MiB semi-spaces halve the young generation (32 MiB).
 */
const BRIDGE_NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=1024'];

/**
 * The bridge as operators run it: its own process, configured by environment only. Without a
 * BRIDGE_ADMIN_PORT it gets a free one, so bridges of tests running side by side never collide.
 */
export async function startBridgeProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<BridgeProcess> {
  const adminPort = env.BRIDGE_ADMIN_PORT ?? String(await freePort());
  const withAdmin = { BRIDGE_ADMIN_PORT: adminPort, ...env };
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const service = await startService('bridge', 'bridge/main.ts', `http://127.0.0.1:${env.BRIDGE_PORT}`, withAdmin, timeoutMs, BRIDGE_NODE_FLAGS, [adminUrl]);
  return { ...service, adminUrl };
}

/** The WMS simulator as its own process (WMS_PORT, WMS_DATA_DIR and fault settings in `env`). */
export const startWmsProcess = (env: Record<string, string>, timeoutMs = 30_000): Promise<ServiceProcess> =>
  startService('WMS simulator', 'bridge/wms/main.ts', `http://127.0.0.1:${env.WMS_PORT}`, env, timeoutMs);

/** The SAP OData simulator as its own process (SAP_PORT, SAP_PLANTS, SAP_ADMIN_KEYS and fault settings in `env`). */
export const startSapProcess = (env: Record<string, string>, timeoutMs = 30_000): Promise<ServiceProcess> =>
  startService('SAP simulator', 'bridge/sap/main.ts', `http://127.0.0.1:${env.SAP_PORT}`, env, timeoutMs);

/** Up, and done starting its background parts (a bridge's sagas and snapshotter). */
async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json().catch(() => ({}))) as { components?: Record<string, string> };
    return response.ok && !Object.values(body.components ?? {}).includes('starting');
  } catch {
    return false;
  }
}

function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
