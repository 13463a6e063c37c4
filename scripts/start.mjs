#!/usr/bin/env node
// `npm start`: the Worker (wrangler dev), the bridge and the WMS simulator together, on the
// documented local ports.
//   npm start                          bridge on its embedded file log (.data/bridge)
//   KAFKA_BROKERS=host:9092 npm start  bridge on that Kafka cluster
//   npm run start:kafka                bridge on a real Kafka broker started (and stopped) here
// Ctrl-C stops everything; if one process dies, the others are stopped too.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRIDGE_PORT, WMS_PORT, WORKER_PORT } from './dev-defaults.mjs';
import { ensureDevVars } from './dev-vars.mjs';
import { startKafka, stopKafka } from './kafka.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vars = ensureDevVars();
const withKafka = process.argv.includes('--kafka');
const broker = withKafka ? await startKafka() : null;
if (broker) console.log(`Kafka broker on ${broker.brokers}`);

const children = [];
let stopping = false;

function run(name, command, args, env = {}) {
  const child = spawn(command, args, { cwd: root, stdio: ['inherit', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the rest`);
      void stop(code ?? 1);
    }
  });
  children.push(child);
  return child;
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map((c) => new Promise((resolve) => { c.once('exit', resolve); c.kill('SIGTERM'); })),
  );
  if (broker) await stopKafka(broker);
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

// Without internet access Miniflare's fetch of the `Request.cf` placeholder only prints a stack trace.
run('worker', join(root, 'node_modules', '.bin', 'wrangler'), ['dev', '--ip', '127.0.0.1', '--port', String(WORKER_PORT)], {
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false',
});
// Fault-free by default; `npm run cli -- wms faults set …` injects faults while it runs.
run('wms', process.execPath, ['--import', 'tsx', 'bridge/wms/main.ts'], { WMS_PORT: String(WMS_PORT), ADMIN_KEYS: vars.ADMIN_KEYS });
// The heap sizing that keeps the bridge's resident set under 200 MiB (why: test/e2e/support/processes.ts).
run('bridge', process.execPath, ['--max-semi-space-size=8', '--max-old-space-size=1024', '--import', 'tsx', 'bridge/main.ts'], {
  BRIDGE_PORT: String(BRIDGE_PORT),
  INTERNAL_SECRET: vars.INTERNAL_SECRET,
  ADMIN_KEYS: vars.ADMIN_KEYS,
  EDGE_URL: `http://127.0.0.1:${WORKER_PORT}`,
  WMS_URL: `http://127.0.0.1:${WMS_PORT}/wms`,
  ...(broker ? { KAFKA_BROKERS: broker.brokers } : {}),
});
