import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEventLog } from '../../bridge/eventLog/embedded';
import { EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { freePort, startBridgeProcess, type BridgeProcess } from './support/processes';

/**
 * The embedded log is for one bridge process: a second bridge on the same data directory exits
 * at once naming the fix, a tool may still open the log beside the bridge, and a bridge killed
 * with SIGKILL does not keep its successor out.
 */
let dataDir: string;
const running: BridgeProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'one-bridge-e2e-'));
});

afterAll(async () => {
  await Promise.all(running.map((bridge) => bridge.kill('SIGTERM')));
  await rm(dataDir, { recursive: true, force: true });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const bridgeEnv = async () => ({ BRIDGE_PORT: String(await freePort()), BRIDGE_DATA_DIR: dataDir, INTERNAL_SECRET: 'one-bridge-secret', SAGA: 'off', FEED: 'off', SNAPSHOTS: 'off', ORDERS: 'off' });

async function startBridge(): Promise<BridgeProcess> {
  const bridge = await startBridgeProcess(await bridgeEnv(), 30_000);
  running.push(bridge);
  return bridge;
}

/** A bridge expected to refuse: its exit code and everything it printed, or a failure after 30 s. */
async function refusedBridge(): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bridge/main.ts'], { env: { ...process.env, LOG_LEVEL: 'warn', ...(await bridgeEnv()) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, output };
}

describe('the embedded log serves one bridge process', () => {
  it('a second bridge on the same data directory exits 1 naming the fix; the first keeps serving; a tool still reads the log', async () => {
    const first = await startBridge();
    const second = await refusedBridge();
    expect(second.code).toBe(1);
    expect(second.output).toContain('"msg":"bridge failed to start"');
    expect(second.output).toMatch(
      new RegExp(
        `another bridge process \\(pid ${first.pid}, since [0-9T:.Z-]+\\) is running on the embedded event log in ${escape(join(dataDir, 'log'))}: the embedded log is for one bridge process\\. ` +
          'Stop the other bridge, give this one its own BRIDGE_DATA_DIR, or set KAFKA_BROKERS to run bridge replicas on Kafka\\.',
      ),
    );
    const health = await fetch(`${first.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', log: { adapter: 'embedded' } });

    // Not a bridge: a reader (the tests, the benchmarks) opens the same log beside it.
    const reader = new EmbeddedEventLog(join(dataDir, 'log'));
    try {
      expect((await reader.endOffsets(EVENTS_TOPIC)).get(0)).toBe('0');
    } finally {
      await reader.close();
    }
    await first.kill('SIGTERM');
  });

  it('after SIGKILL of the bridge, a new one starts on the same directory at once, and a second is again refused', async () => {
    const doomed = await startBridge();
    await doomed.kill('SIGKILL');
    const killedAt = Date.now();
    const successor = await startBridge();
    // No lease to lapse: the OS dropped the lock with the process, so only the start itself takes time.
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect((await fetch(`${successor.url}/healthz`)).status).toBe(200);
    const refused = await refusedBridge();
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`another bridge process (pid ${successor.pid},`);
    await successor.kill('SIGTERM');
  });

  it('a bridge stopped cleanly gives the directory up too', async () => {
    const first = await startBridge();
    await first.kill('SIGTERM');
    const next = await startBridge();
    expect((await fetch(`${next.url}/healthz`)).status).toBe(200);
  });
});
