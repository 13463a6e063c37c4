#!/usr/bin/env node
// `npm start`: the Worker (wrangler dev), the bridge and the WMS and SAP simulators together, on the
// documented local ports, as one readable stream: each line prefixed with its process's name in
// its own colour (concurrently), the bridge's and the simulator's JSON logs made readable by
// pino-pretty when the output is a terminal (piped elsewhere, they stay JSON lines).
//   npm start                                bridge on its embedded file log (.data/bridge)
//   KAFKA_BROKERS=host:9092 npm start        bridge on that Kafka cluster
//   npm run start:kafka                      bridge on a real Kafka broker started (and stopped) here
//   BRIDGE_REPLICAS=3 npm run start:kafka    three bridge replicas (bridge-1..3) on that broker
// The bridge has two warehouses: soap-1 (the WMS simulator: default, AMS-1) and sap-1 (the SAP
// simulator: FRA-1 at plant 1010); `npm run seed` stocks a demo SKU at both.
// Ctrl-C stops everything; if one process dies, the others are stopped too.
import { delimiter, dirname, join } from 'node:path';
import concurrently from 'concurrently';
import { BRIDGE_ADMIN_KEY, SAP_ADMIN_KEY, WMS_ADMIN_KEY } from './dev-defaults.mjs';
import { planLocalStack } from './dev-cluster.mjs';
import { ensureDevVars } from './dev-vars.mjs';
import { startKafka, stopKafka } from './kafka.mjs';

const root = join(import.meta.dirname, '..');
// wrangler's `#!/usr/bin/env node` must find the Node this runs on (22, from the `node` devDependency).
process.env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
const bin = (name) => JSON.stringify(join(root, 'node_modules', '.bin', name));
const node = JSON.stringify(process.execPath);
const withKafka = process.argv.includes('--kafka');
// Refused before anything starts (no broker, no .dev.vars), with the reason and the fix.
const plan = planLocalStack(process.env, { withKafka });
if (!plan.ok) {
  console.error(`npm start: ${plan.error}`);
  process.exit(2);
}
const { worker, wms, sap, objects, warehouses, bridges, bridgeUrl } = plan.value;
const vars = ensureDevVars();
// A Ctrl-C while the broker starts (it is detached: it would outlive us) stops it once it is up.
let interrupted = false;
const onSignal = () => (interrupted = true);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, onSignal);
const broker = withKafka ? await startKafka() : null;
for (const signal of ['SIGINT', 'SIGTERM']) process.off(signal, onSignal);
if (interrupted) {
  if (broker) await stopKafka(broker);
  process.exit(0);
}
if (broker) console.log(`Kafka broker on ${broker.brokers}`);
if (bridges.length > 1) console.log(`${bridges.length} bridge replicas; the Worker's BRIDGE_URL=${bridgeUrl}`);
for (const bridge of bridges) {
  console.log(`${bridge.name}: ingest ${bridge.url}, admin ${bridge.adminUrl}, dashboard ${bridge.adminUrl}/dashboard`);
}
// The CLI's defaults are the documented ports; other ports are named for it.
const cliEnv = Object.entries({ EDGE_URL: [worker.url, 'http://127.0.0.1:8787'], BRIDGE_ADMIN_URL: [bridges[0].adminUrl, 'http://127.0.0.1:8798'], WMS_URL: [wms.url, 'http://127.0.0.1:8789/wms'] })
  .filter(([, [url, usual]]) => url !== usual)
  .map(([name, [url]]) => `${name}=${url} `)
  .join('');
const cli = (command) => `${cliEnv}npm run cli -- ${command}`;
console.log(`object storage (S3 API, for R2): ${objects.url}, bucket inventory-archive; query the archive with ${cli('audit totals')}`);
console.log(`SAP OData simulator: ${sap.url}/sap/opu/odata/sap/ (Basic INVENTORY / local-only-password), admin key ${SAP_ADMIN_KEY}`);
for (const w of warehouses) console.log(`warehouse ${w.id} (${w.kind}) at ${w.url}: ${w.locations.join(', ')}`);
// The CLI reads the bridge's list to reconcile and to reach each simulator's admin API (docs/operations.md).
console.log(`both warehouses for the CLI (inventory reconcile, inventory wms --warehouse sap-1): export WAREHOUSES='${JSON.stringify(warehouses)}'`);
console.log(`bridge admin key ${BRIDGE_ADMIN_KEY}; CLI: ${cli('status')}${bridges.length > 1 ? `; which replica owns which partitions: ${cli('group')}` : ''}`);

/** JSON log lines as readable, coloured lines on a terminal; untouched for a file or a pipe. */
const pretty = process.stdout.isTTY ? ` | ${bin('pino-pretty')} --colorize --translateTime SYS:HH:MM:ss.l --ignore pid,hostname` : '';

const { result } = concurrently(
  [
    {
      name: 'worker',
      prefixColor: 'cyan',
      command: [
        `${bin('wrangler')} dev --ip 127.0.0.1 --port ${worker.port}`,
        ...Object.entries(worker.vars).map(([name, value]) => `--var ${JSON.stringify(`${name}:${value}`)}`),
        ...(worker.persistTo ? [`--persist-to ${JSON.stringify(worker.persistTo)}`] : []),
      ].join(' '),
      // Without internet access Miniflare's fetch of the `Request.cf` placeholder only prints a stack trace.
      env: { CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false' },
    },
    {
      // Fault-free by default; `npm run cli -- wms faults set …` injects faults while it runs.
      name: 'wms',
      prefixColor: 'magenta',
      command: `${node} --import tsx bridge/wms/main.ts${pretty}`,
      env: { ...wms.env, WMS_ADMIN_KEYS: WMS_ADMIN_KEY },
    },
    {
      // The SAP S/4HANA-style OData warehouse (bridge/sap/README.md), fault-free and with the local user.
      name: 'sap',
      prefixColor: 'gray',
      command: `${node} --import tsx bridge/sap/main.ts${pretty}`,
      env: { ...sap.env, SAP_ADMIN_KEYS: SAP_ADMIN_KEY },
    },
    {
      // The local S3 API (s3rver) standing in for R2: the archive and snapshots (`inventory audit`, `inventory archive`).
      name: 'objects',
      prefixColor: 'white',
      command: `${node} --import tsx bridge/archive/localS3Main.ts`,
      env: objects.env,
    },
    // One process per replica (bridge-1, bridge-2…; `bridge` when alone), each on its own
    // pair of listeners; the group shares the work by Kafka partitions (docs/bridge-group.md).
    ...bridges.map((bridge, i) => ({
      name: bridge.name,
      prefixColor: ['yellow', 'green', 'blue', 'red'][i % 4],
      // The heap sizing that keeps the bridge's resident set under 200 MiB (why: test/e2e/support/processes.ts).
      command: `${node} --max-semi-space-size=8 --max-old-space-size=1024 --import tsx bridge/main.ts${pretty}`,
      env: {
        ...bridge.env,
        INTERNAL_SECRET: vars.INTERNAL_SECRET,
        BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEY,
        EDGE_URL: worker.url,
        WMS_URL: wms.url,
        ...(broker ? { KAFKA_BROKERS: broker.brokers } : {}),
      },
    })),
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
