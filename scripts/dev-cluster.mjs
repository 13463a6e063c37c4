// The local stack `npm start` runs, computed from the environment without starting anything:
// where the Worker, the WMS and SAP simulators and each bridge replica listen, each replica's settings,
// and the BRIDGE_URL that lists them all (the objects push to any of them, docs/adr/0004).
import { join } from 'node:path';
import { BRIDGE_ADMIN_PORT, BRIDGE_PORT, DEV_VARS, OBJECTS_PORT, SAP_PASSWORD, SAP_PLANTS, SAP_PORT, SAP_USER, WMS_LOCATIONS, WMS_PORT, WORKER_PORT } from './dev-defaults.mjs';

/** The documented ports of three replicas: 8789 between them is the WMS simulator's, 8792 after them the SAP simulator's. */
export const REPLICA_PORTS = [BRIDGE_PORT, 8790, 8791];
export const REPLICA_ADMIN_PORTS = [BRIDGE_ADMIN_PORT, BRIDGE_ADMIN_PORT + 1, BRIDGE_ADMIN_PORT + 2];

const isPort = (n) => Number.isInteger(n) && n > 0 && n < 65_536;

function port(env, name, fallback) {
  const raw = env[name]?.trim();
  if (!raw) return { ok: true, value: fallback };
  const value = Number(raw);
  return isPort(value) ? { ok: true, value } : { ok: false, error: `${name}=${raw} is not a port (1-65535)` };
}

function ports(env, name, fallback, count) {
  const raw = env[name]?.trim();
  if (!raw) {
    if (count > fallback.length) {
      return { ok: false, error: `BRIDGE_REPLICAS=${count}: the default ports are for ${fallback.length} replicas; list one port per replica in BRIDGE_PORTS and BRIDGE_ADMIN_PORTS` };
    }
    return { ok: true, value: fallback.slice(0, count) };
  }
  const value = raw.split(',').map((p) => Number(p.trim()));
  if (!value.every(isPort)) return { ok: false, error: `${name}=${raw} is not a comma-separated list of ports` };
  if (value.length < count) return { ok: false, error: `${name}=${raw} lists ${value.length} port(s) for BRIDGE_REPLICAS=${count}: one per replica` };
  return { ok: true, value: value.slice(0, count) };
}

/**
 * The plan, or the reason there is none (a typed error, so the script prints it and starts
 * nothing). `withKafka`: a broker will be started (`--kafka`); KAFKA_BROKERS names one already
 * running. Without either the bridge runs on its embedded file log, which one process only may
 * use (the second is refused at start): more replicas are refused here, before anything starts.
 * Ports come from the documented defaults unless WORKER_PORT, WMS_PORT, SAP_PORT, BRIDGE_PORTS or
 * BRIDGE_ADMIN_PORTS say otherwise, and DEV_DATA_DIR moves the local state (the Worker's objects,
 * the simulators' state, the embedded log) out of .wrangler and .data: tests run a stack
 * beside a developer's.
 */
export function planLocalStack(env, { withKafka }) {
  const rawReplicas = env.BRIDGE_REPLICAS?.trim() || '1';
  const replicas = Number(rawReplicas);
  if (!Number.isInteger(replicas) || replicas < 1) return { ok: false, error: `BRIDGE_REPLICAS=${rawReplicas} is not a number of replicas (1 or more)` };
  const onKafka = withKafka || Boolean(env.KAFKA_BROKERS?.trim());
  if (replicas > 1 && !onKafka) {
    return { ok: false, error: `BRIDGE_REPLICAS=${replicas}: the embedded log is for one bridge process: use npm run start:kafka (or set KAFKA_BROKERS to a Kafka cluster)` };
  }
  const worker = port(env, 'WORKER_PORT', WORKER_PORT);
  const wms = port(env, 'WMS_PORT', WMS_PORT);
  const sap = port(env, 'SAP_PORT', SAP_PORT);
  const objects = port(env, 'OBJECTS_PORT', OBJECTS_PORT);
  const publicPorts = ports(env, 'BRIDGE_PORTS', REPLICA_PORTS, replicas);
  const adminPorts = ports(env, 'BRIDGE_ADMIN_PORTS', REPLICA_ADMIN_PORTS, replicas);
  for (const part of [worker, wms, sap, objects, publicPorts, adminPorts]) if (!part.ok) return part;
  const all = [worker.value, wms.value, sap.value, objects.value, ...publicPorts.value, ...adminPorts.value];
  const twice = all.find((p, i) => all.indexOf(p) !== i);
  if (twice !== undefined) return { ok: false, error: `port ${twice} is given to two listeners: every listener needs its own` };

  const dataDir = env.DEV_DATA_DIR?.trim() || null;
  const origin = (p) => `http://127.0.0.1:${p}`;
  const wmsUrl = `${origin(wms.value)}/wms`;
  // Every replica follows and allocates at both warehouses: the bridge's WAREHOUSES (bridge/warehouses.ts).
  const warehouses = [
    { id: 'soap-1', kind: 'soap', url: wmsUrl, locations: WMS_LOCATIONS },
    { id: 'sap-1', kind: 'odata', url: origin(sap.value), user: SAP_USER, password: SAP_PASSWORD, plants: SAP_PLANTS, locations: Object.keys(SAP_PLANTS) },
  ];
  const bridges = publicPorts.value.map((p, i) => ({
    // Alone it is `bridge`, as `npm start` always named it.
    name: replicas === 1 ? 'bridge' : `bridge-${i + 1}`,
    url: origin(p),
    adminUrl: origin(adminPorts.value[i]),
    env: {
      BRIDGE_PORT: String(p),
      BRIDGE_ADMIN_PORT: String(adminPorts.value[i]),
      WAREHOUSES: JSON.stringify(warehouses),
      // Every event archived to the local bucket, snapshots there every minute (issue 27).
      ARCHIVE: 'on',
      ARCHIVE_S3_ENDPOINT: origin(objects.value),
      ARCHIVE_FLUSH_MS: '5000',
      ARCHIVE_SNAPSHOT_EVERY_MS: '60000',
      ...(dataDir ? { BRIDGE_DATA_DIR: join(dataDir, 'bridge') } : {}),
    },
  }));
  const bridgeUrl = bridges.map((b) => b.url).join(',');
  return {
    ok: true,
    value: {
      onKafka,
      worker: {
        port: worker.value,
        url: origin(worker.value),
        // Only what differs from .dev.vars' default is passed (`wrangler dev --var` wins over
        // .dev.vars), so one replica on its usual port keeps a BRIDGE_URL someone set by hand.
        vars: bridgeUrl === DEV_VARS.BRIDGE_URL ? {} : { BRIDGE_URL: bridgeUrl },
        persistTo: dataDir ? join(dataDir, 'wrangler') : null,
      },
      wms: { port: wms.value, url: wmsUrl, env: { WMS_PORT: String(wms.value), WMS_LOCATIONS: WMS_LOCATIONS.join(','), ...(dataDir ? { WMS_DATA_DIR: join(dataDir, 'wms') } : {}) } },
      // The SAP OData warehouse (API_RESERVATION_DOCUMENT_SRV …): its URL is the service host root.
      sap: { port: sap.value, url: origin(sap.value), env: { SAP_PORT: String(sap.value), SAP_STATE_FILE: join(dataDir ?? '.data', 'sap', 'state.json'), SAP_PLANTS: JSON.stringify(SAP_PLANTS) } },
      objects: { port: objects.value, url: origin(objects.value), env: { OBJECTS_PORT: String(objects.value), OBJECTS_DIR: join(dataDir ?? '.data', 'objects') } },
      warehouses,
      bridges,
      bridgeUrl,
    },
  };
}
