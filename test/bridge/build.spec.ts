import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../e2e/support/processes';

const root = join(import.meta.dirname, '..', '..');
const out = join('.cache', `build-spec-${process.pid}`);
const run = promisify(execFile);
let dataDir: string;

beforeAll(async () => {
  await run(process.execPath, ['scripts/build.mjs', out], { cwd: root });
  dataDir = await mkdtemp(join(tmpdir(), 'built-bridge-'));
}, 60_000);
afterAll(async () => {
  await rm(join(root, out), { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

/** Starts a built entry point with plain `node` (no tsx), waits for its /healthz, then SIGTERMs it. */
async function startStop(entry: string, env: Record<string, string>, url: string) {
  const child = spawn(process.execPath, [join(root, out, entry)], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let health: unknown = null;
  for (let i = 0; i < 100 && health === null; i++) {
    health = await fetch(`${url}/healthz`).then((r) => (r.ok ? r.json() : null), () => null);
    if (health === null) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGTERM');
  return { health, code: await exited, output };
}

describe('npm run build: the bridge, the simulators and the CLI run with plain node', () => {
  it('the built bridge serves, then stops cleanly on SIGTERM (exit 0, logged)', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const env = { INTERNAL_SECRET: 's', BRIDGE_PORT: String(port), BRIDGE_ADMIN_PORT: String(adminPort), BRIDGE_DATA_DIR: dataDir, SAGA: 'off' };
    const { health, code, output } = await startStop('bridge/main.js', env, `http://127.0.0.1:${port}`);
    expect(health).toMatchObject({ status: 'ok', log: { adapter: 'embedded' } });
    expect(code).toBe(0);
    expect(output).toContain('"msg":"bridge stopped"');
  });

  it('the built WMS simulator likewise', async () => {
    const port = await freePort();
    const { health, code } = await startStop('wms/main.js', { WMS_PORT: String(port), WMS_DATA_DIR: join(dataDir, 'wms'), WMS_ADMIN_KEYS: 'k' }, `http://127.0.0.1:${port}`);
    expect(health).toEqual({ status: 'ok' });
    expect(code).toBe(0);
  });

  it('the built SAP OData simulator likewise', async () => {
    const port = await freePort();
    const { health, code, output } = await startStop('sap/main.js', { SAP_PORT: String(port), SAP_ADMIN_KEYS: 'k' }, `http://127.0.0.1:${port}`);
    expect(health).toEqual({ status: 'ok' });
    expect(code).toBe(0);
    expect(output).toContain('"msg":"sap simulator stopped"');
  });

  it('a bad configuration exits 2 naming the setting, before anything starts', async () => {
    const failed = await run(process.execPath, [join(root, out, 'bridge/main.js')], { env: { PATH: process.env.PATH, BRIDGE_PORT: 'eighty' } }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toMatch(/invalid bridge configuration:\n {2}BRIDGE_PORT: .*\n {2}INTERNAL_SECRET: INTERNAL_SECRET is required/);
  });

  it('the built CLI answers --help', async () => {
    const { stdout } = await run(process.execPath, [join(root, out, 'cli/main.js'), '--help']);
    expect(stdout).toContain('Usage: inventory');
  });
});

describe('the deployment files run what the build produces, as `npm run bridge` does', () => {
  const flagsOf = (command: string) => command.match(/--[a-z-]+=\d+/g) ?? [];

  it('Dockerfile CMD and the systemd unit: the built bridge, with the same heap flags', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const devFlags = flagsOf(pkg.scripts.bridge!);
    expect(devFlags).toEqual(['--max-semi-space-size=8', '--max-old-space-size=1024']);
    const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
    const cmd = (JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[]).join(' ');
    const unit = await readFile(join(root, 'deploy', 'flash-sale-bridge.service'), 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(unit)![1]!;
    for (const command of [cmd, execStart]) {
      expect(flagsOf(command)).toEqual(devFlags);
      expect(command.endsWith(' dist/bridge/main.js')).toBe(true);
    }
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\/healthz/ms);
  });
});
