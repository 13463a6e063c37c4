#!/usr/bin/env node
// `npm start`: the Worker (wrangler dev), the bridge and the WMS simulator together, on the
// documented local ports, as one readable stream: each line prefixed with its process's name in
// its own colour (concurrently), the bridge's and the simulator's JSON logs made readable by
// pino-pretty when the output is a terminal (piped elsewhere, they stay JSON lines).
//   npm start                          bridge on its embedded file log (.data/bridge)
//   KAFKA_BROKERS=host:9092 npm start  bridge on that Kafka cluster
//   npm run start:kafka                bridge on a real Kafka broker started (and stopped) here
// Ctrl-C stops everything; if one process dies, the others are stopped too.
import { delimiter, dirname, join } from 'node:path';
import concurrently from 'concurrently';
import { BRIDGE_ADMIN_KEY, BRIDGE_ADMIN_PORT, BRIDGE_PORT, WMS_ADMIN_KEY, WMS_PORT, WORKER_PORT } from './dev-defaults.mjs';
import { ensureDevVars } from './dev-vars.mjs';
import { startKafka, stopKafka } from './kafka.mjs';

const root = join(import.meta.dirname, '..');
// wrangler's `#!/usr/bin/env node` must find the Node this runs on (22, from the `node` devDependency).
process.env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
const bin = (name) => JSON.stringify(join(root, 'node_modules', '.bin', name));
const node = JSON.stringify(process.execPath);
const vars = ensureDevVars();
const withKafka = process.argv.includes('--kafka');
const broker = withKafka ? await startKafka() : null;
if (broker) console.log(`Kafka broker on ${broker.brokers}`);
console.log(`dashboard: http://127.0.0.1:${BRIDGE_ADMIN_PORT}/dashboard (bridge admin key ${BRIDGE_ADMIN_KEY}); CLI: npm run cli -- status`);

/** JSON log lines as readable, coloured lines on a terminal; untouched for a file or a pipe. */
const pretty = process.stdout.isTTY ? ` | ${bin('pino-pretty')} --colorize --translateTime SYS:HH:MM:ss.l --ignore pid,hostname` : '';

const { result } = concurrently(
  [
    {
      name: 'worker',
      prefixColor: 'cyan',
      command: `${bin('wrangler')} dev --ip 127.0.0.1 --port ${WORKER_PORT}`,
      // Without internet access Miniflare's fetch of the `Request.cf` placeholder only prints a stack trace.
      env: { CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false' },
    },
    {
      // Fault-free by default; `npm run cli -- wms faults set …` injects faults while it runs.
      name: 'wms',
      prefixColor: 'magenta',
      command: `${node} --import tsx bridge/wms/main.ts${pretty}`,
      env: { WMS_PORT: String(WMS_PORT), WMS_ADMIN_KEYS: WMS_ADMIN_KEY },
    },
    {
      // The heap sizing that keeps the bridge's resident set under 200 MiB (why: test/e2e/support/processes.ts).
      name: 'bridge',
      prefixColor: 'yellow',
      command: `${node} --max-semi-space-size=8 --max-old-space-size=1024 --import tsx bridge/main.ts${pretty}`,
      env: {
        BRIDGE_PORT: String(BRIDGE_PORT),
        BRIDGE_ADMIN_PORT: String(BRIDGE_ADMIN_PORT),
        INTERNAL_SECRET: vars.INTERNAL_SECRET,
        BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEY,
        EDGE_URL: `http://127.0.0.1:${WORKER_PORT}`,
        WMS_URL: `http://127.0.0.1:${WMS_PORT}/wms`,
        ...(broker ? { KAFKA_BROKERS: broker.brokers } : {}),
      },
    },
  ],
  { cwd: root, prefix: '{name}', padPrefix: true, killOthersOn: ['failure', 'success'], killSignal: 'SIGTERM' },
);

// Ctrl-C reaches every child itself; the runner only reports, then the broker is stopped.
const code = await result.then(
  () => 0,
  (events) => (events.some((e) => e.killed === false && e.exitCode !== 0 && e.exitCode !== 'SIGINT' && e.exitCode !== 'SIGTERM') ? 1 : 0),
);
if (broker) await stopKafka(broker);
process.exit(code);
