import { describe, expect, it } from 'vitest';
import { WarehousesEnvSchema } from '../../../bridge/warehouses';
// @ts-expect-error -- a plain ESM script shared with `npm start`
import { planLocalStack } from '../../../scripts/dev-cluster.mjs';

type Bridge = { name: string; url: string; adminUrl: string; env: Record<string, string> };
type Plan =
  | {
      ok: true;
      value: {
        onKafka: boolean;
        worker: { port: number; url: string; vars: Record<string, string>; persistTo: string | null };
        wms: { port: number; url: string; env: Record<string, string> };
        sap: { port: number; url: string; env: Record<string, string> };
        objects: { port: number; url: string; env: Record<string, string> };
        warehouses: unknown[];
        bridges: Bridge[];
        bridgeUrl: string;
      };
    }
  | { ok: false; error: string };
const plan = (env: Record<string, string>, withKafka = false) => planLocalStack(env, { withKafka }) as Plan;
const value = (env: Record<string, string>, withKafka = false) => {
  const result = plan(env, withKafka);
  if (!result.ok) throw new Error(result.error);
  return result.value;
};

const plants = { 'FRA-1': { plant: '1010', storageLocation: '0001' } };
/** Both warehouses of the local stack, as each bridge replica is given them. */
const twoWarehouses = (wmsPort: number, sapPort: number) => [
  { id: 'soap-1', kind: 'soap', url: `http://127.0.0.1:${wmsPort}/wms`, locations: ['default', 'AMS-1'] },
  { id: 'sap-1', kind: 'odata', url: `http://127.0.0.1:${sapPort}`, user: 'INVENTORY', password: 'local-only-password', plants, locations: ['FRA-1'] },
];
const WAREHOUSES = JSON.stringify(twoWarehouses(8789, 8792));
/** Every replica archives to the local object store (issue 27). */
const archiveTo = (port: number) => ({ ARCHIVE: 'on', ARCHIVE_S3_ENDPOINT: `http://127.0.0.1:${port}`, ARCHIVE_FLUSH_MS: '5000', ARCHIVE_SNAPSHOT_EVERY_MS: '60000' });
const ARCHIVE = archiveTo(8794);

describe('the local stack npm start runs', () => {
  it('by default: one bridge on the documented ports, the Worker keeping .dev.vars\' BRIDGE_URL, state where it always was', () => {
    expect(value({})).toEqual({
      onKafka: false,
      worker: { port: 8787, url: 'http://127.0.0.1:8787', vars: {}, persistTo: null },
      wms: { port: 8789, url: 'http://127.0.0.1:8789/wms', env: { WMS_PORT: '8789', WMS_LOCATIONS: 'default,AMS-1' } },
      sap: { port: 8792, url: 'http://127.0.0.1:8792', env: { SAP_PORT: '8792', SAP_STATE_FILE: '.data/sap/state.json', SAP_PLANTS: JSON.stringify(plants) } },
      objects: { port: 8794, url: 'http://127.0.0.1:8794', env: { OBJECTS_PORT: '8794', OBJECTS_DIR: '.data/objects' } },
      warehouses: twoWarehouses(8789, 8792),
      bridges: [{ name: 'bridge', url: 'http://127.0.0.1:8788', adminUrl: 'http://127.0.0.1:8798', env: { BRIDGE_PORT: '8788', BRIDGE_ADMIN_PORT: '8798', WAREHOUSES, ...ARCHIVE } }],
      bridgeUrl: 'http://127.0.0.1:8788',
    });
    // What the bridge reads at start: the list passes its own checks (one kind each, every location once).
    expect(WarehousesEnvSchema.parse(WAREHOUSES).map((w) => [w.id, w.kind, w.locations])).toEqual([['soap-1', 'soap', ['default', 'AMS-1']], ['sap-1', 'odata', ['FRA-1']]]);
  });

  it('BRIDGE_REPLICAS=3 with --kafka: 8788, 8790, 8791 (admin 8798-8800), all of them in the Worker\'s BRIDGE_URL', () => {
    const stack = value({ BRIDGE_REPLICAS: '3' }, true);
    expect(stack.onKafka).toBe(true);
    expect(stack.bridges).toEqual([
      { name: 'bridge-1', url: 'http://127.0.0.1:8788', adminUrl: 'http://127.0.0.1:8798', env: { BRIDGE_PORT: '8788', BRIDGE_ADMIN_PORT: '8798', WAREHOUSES, ...ARCHIVE } },
      { name: 'bridge-2', url: 'http://127.0.0.1:8790', adminUrl: 'http://127.0.0.1:8799', env: { BRIDGE_PORT: '8790', BRIDGE_ADMIN_PORT: '8799', WAREHOUSES, ...ARCHIVE } },
      { name: 'bridge-3', url: 'http://127.0.0.1:8791', adminUrl: 'http://127.0.0.1:8800', env: { BRIDGE_PORT: '8791', BRIDGE_ADMIN_PORT: '8800', WAREHOUSES, ...ARCHIVE } },
    ]);
    expect(stack.bridgeUrl).toBe('http://127.0.0.1:8788,http://127.0.0.1:8790,http://127.0.0.1:8791');
    expect(stack.worker.vars).toEqual({ BRIDGE_URL: 'http://127.0.0.1:8788,http://127.0.0.1:8790,http://127.0.0.1:8791' });
  });

  it('replicas on a Kafka cluster named by KAFKA_BROKERS need no --kafka', () => {
    const stack = value({ BRIDGE_REPLICAS: '2', KAFKA_BROKERS: 'kafka:9092' });
    expect(stack.onKafka).toBe(true);
    expect(stack.bridges.map((b) => b.name)).toEqual(['bridge-1', 'bridge-2']);
  });

  it('refuses more than one replica on the embedded log, before anything starts', () => {
    for (const env of [{ BRIDGE_REPLICAS: '2' }, { BRIDGE_REPLICAS: '3', KAFKA_BROKERS: ' ' }] as Record<string, string>[]) {
      expect(plan(env)).toEqual({
        ok: false,
        error: `BRIDGE_REPLICAS=${env.BRIDGE_REPLICAS}: the embedded log is for one bridge process: use npm run start:kafka (or set KAFKA_BROKERS to a Kafka cluster)`,
      });
    }
  });

  it('refuses what is not a number of replicas, and more replicas than default ports unless the ports are listed', () => {
    expect(plan({ BRIDGE_REPLICAS: '0' }, true)).toEqual({ ok: false, error: 'BRIDGE_REPLICAS=0 is not a number of replicas (1 or more)' });
    expect(plan({ BRIDGE_REPLICAS: 'two' }, true)).toEqual({ ok: false, error: 'BRIDGE_REPLICAS=two is not a number of replicas (1 or more)' });
    expect(plan({ BRIDGE_REPLICAS: '4' }, true)).toEqual({
      ok: false,
      error: 'BRIDGE_REPLICAS=4: the default ports are for 3 replicas; list one port per replica in BRIDGE_PORTS and BRIDGE_ADMIN_PORTS',
    });
    const four = value({ BRIDGE_REPLICAS: '4', BRIDGE_PORTS: '9001,9002,9003,9004', BRIDGE_ADMIN_PORTS: '9101, 9102, 9103, 9104' }, true);
    expect(four.bridges.map((b) => [b.url, b.adminUrl])).toEqual([9001, 9002, 9003, 9004].map((p) => [`http://127.0.0.1:${p}`, `http://127.0.0.1:${p + 100}`]));
  });

  it('every port overridable (a test\'s free ports), the state moved under DEV_DATA_DIR', () => {
    const stack = value({ BRIDGE_REPLICAS: '2', WORKER_PORT: '7001', WMS_PORT: '7002', SAP_PORT: '7007', OBJECTS_PORT: '7008', BRIDGE_PORTS: '7003,7004', BRIDGE_ADMIN_PORTS: '7005,7006', DEV_DATA_DIR: 'local-state' }, true);
    expect(stack.worker).toEqual({ port: 7001, url: 'http://127.0.0.1:7001', vars: { BRIDGE_URL: 'http://127.0.0.1:7003,http://127.0.0.1:7004' }, persistTo: 'local-state/wrangler' });
    expect(stack.wms).toEqual({ port: 7002, url: 'http://127.0.0.1:7002/wms', env: { WMS_PORT: '7002', WMS_LOCATIONS: 'default,AMS-1', WMS_DATA_DIR: 'local-state/wms' } });
    expect(stack.sap).toEqual({ port: 7007, url: 'http://127.0.0.1:7007', env: { SAP_PORT: '7007', SAP_STATE_FILE: 'local-state/sap/state.json', SAP_PLANTS: JSON.stringify(plants) } });
    expect(stack.objects).toEqual({ port: 7008, url: 'http://127.0.0.1:7008', env: { OBJECTS_PORT: '7008', OBJECTS_DIR: 'local-state/objects' } });
    // Each replica is pointed at both simulators on their ports.
    expect(stack.warehouses).toEqual(twoWarehouses(7002, 7007));
    expect(stack.bridges.map((b) => b.env)).toEqual([
      { BRIDGE_PORT: '7003', BRIDGE_ADMIN_PORT: '7005', WAREHOUSES: JSON.stringify(twoWarehouses(7002, 7007)), ...archiveTo(7008), BRIDGE_DATA_DIR: 'local-state/bridge' },
      { BRIDGE_PORT: '7004', BRIDGE_ADMIN_PORT: '7006', WAREHOUSES: JSON.stringify(twoWarehouses(7002, 7007)), ...archiveTo(7008), BRIDGE_DATA_DIR: 'local-state/bridge' },
    ]);
    // One replica on another port: the Worker is told where it is.
    expect(value({ BRIDGE_PORTS: '7003' }).worker.vars).toEqual({ BRIDGE_URL: 'http://127.0.0.1:7003' });
  });

  it('names a bad port, too few ports, and a port given twice', () => {
    expect(plan({ WORKER_PORT: '80a' })).toEqual({ ok: false, error: 'WORKER_PORT=80a is not a port (1-65535)' });
    expect(plan({ WMS_PORT: '70000' })).toEqual({ ok: false, error: 'WMS_PORT=70000 is not a port (1-65535)' });
    expect(plan({ BRIDGE_REPLICAS: '2', BRIDGE_PORTS: '7003' }, true)).toEqual({ ok: false, error: 'BRIDGE_PORTS=7003 lists 1 port(s) for BRIDGE_REPLICAS=2: one per replica' });
    expect(plan({ BRIDGE_ADMIN_PORTS: '7003,x' })).toEqual({ ok: false, error: 'BRIDGE_ADMIN_PORTS=7003,x is not a comma-separated list of ports' });
    expect(plan({ WMS_PORT: '8798' })).toEqual({ ok: false, error: 'port 8798 is given to two listeners: every listener needs its own' });
    expect(plan({ OBJECTS_PORT: '8788' })).toEqual({ ok: false, error: 'port 8788 is given to two listeners: every listener needs its own' });
    expect(plan({ SAP_PORT: '8789' })).toEqual({ ok: false, error: 'port 8789 is given to two listeners: every listener needs its own' });
  });
});
