#!/usr/bin/env node
// Real Apache Kafka (KRaft, one node) for tests and local runs, owned by the project:
//   node scripts/kafka.mjs fetch   download the broker from Maven Central into .cache/kafka (once)
//   node scripts/kafka.mjs start   format a fresh log dir, start on a free loopback port, wait until it serves
//   node scripts/kafka.mjs stop    stop the broker started by `start`
// `start` prints `KAFKA_BROKERS=127.0.0.1:<port>` and writes .cache/kafka/broker.json.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.cache', 'kafka');
const libs = join(cache, 'libs');
const stateFile = join(cache, 'broker.json');
const classpath = `${libs}/*`;

export function fetchKafka() {
  if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith('kafka_2.13-'))) return;
  console.error('fetching Apache Kafka from Maven Central (first run only)…');
  execFileSync('mvn', ['-q', '-B', '-f', join(root, 'scripts', 'kafka', 'pom.xml'), 'dependency:copy-dependencies',
    `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'], { stdio: 'inherit' });
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** A single node is broker and controller; every replication factor is 1 or consumers never find a coordinator. */
function serverProperties(port, controllerPort, logDir) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=4',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

const java = (args) => ['-Xms256m', '-Xmx512m', '-cp', classpath, ...args];

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A random cluster id as Kafka's own `Uuid.randomUuid` makes it: never starting with '-', which
 * StorageTool's argument parser would take for an option (one id in 64 did, failing the format).
 */
function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url').slice(0, 22);
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Starts a fresh broker, or with `restart` (a broker stopped with `keepData`) the same broker
 * again on the same ports and data, as after a crash or an upgrade.
 */
export async function startKafka({ timeoutMs = 90_000, restart = null } = {}) {
  fetchKafka();
  const port = restart?.port ?? (await freePort());
  const controllerPort = restart?.controllerPort ?? (await freePort());
  const dir = restart?.dir ?? join(cache, `run-${port}`);
  const config = join(dir, 'server.properties');
  if (!restart) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(config, serverProperties(port, controllerPort, join(dir, 'data')));
    const clusterId = newClusterId();
    execFileSync('java', java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config]), { stdio: 'ignore' });
  }
  const log = openSync(join(dir, 'broker.log'), 'a');
  const child = spawn('java', java([`-Dkafka.logs.dir=${join(dir, 'logs')}`, 'kafka.Kafka', config]), {
    stdio: ['ignore', log, log],
    detached: true,
  });
  child.unref();
  const broker = { pid: child.pid, port, controllerPort, brokers: `127.0.0.1:${port}`, dir };
  writeFileSync(stateFile, JSON.stringify(broker));
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = readFileSync(join(dir, 'broker.log'), 'utf8').slice(-2000);
      await stopKafka(broker);
      throw new Error(`Kafka did not start within ${timeoutMs} ms:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return broker;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Stops the broker (SIGTERM, then SIGKILL after 20 s) and removes its throw-away log dir, unless
 * `keepData` keeps it for a `restart`.
 */
export async function stopKafka(broker = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : null, { keepData = false } = {}) {
  if (!broker) return;
  if (alive(broker.pid)) process.kill(broker.pid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (alive(broker.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (alive(broker.pid)) process.kill(broker.pid, 'SIGKILL');
  if (keepData) return;
  rmSync(broker.dir, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  if (command === 'fetch') fetchKafka();
  else if (command === 'start') console.log(`KAFKA_BROKERS=${(await startKafka()).brokers}`);
  else if (command === 'stop') await stopKafka();
  else {
    console.error('usage: node scripts/kafka.mjs fetch|start|stop');
    process.exit(2);
  }
}
