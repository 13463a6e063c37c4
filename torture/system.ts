import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorker, startEdge, type RunningEdge } from '../bench/lib/edge';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../scripts/kafka.mjs';
import { setWmsFaults } from '../test/e2e/support/fedStock';
import { freePort, startSapProcess, startWmsProcess, type BridgeProcess, type ServiceProcess } from '../test/e2e/support/processes';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from '../bridge/archive/localS3';
import { S3ObjectStore } from '../bridge/archive/objectStore';
import { BridgeReplicas } from './bridgeReplicas';
import type { Outage, ReplicaKill } from './groupChecks';
import { ViewTap } from './viewTap';
import { SAP_FAULTS, SAP_PASSWORD, SAP_PLANTS, SAP_USER, SOAP_LOCATIONS, TORTURE_SAP_ADMIN_KEY, TORTURE_WMS_ADMIN_KEY, Warehouses, WMS_FAULTS, type Site } from './warehouses';

export const TORTURE_ADMIN_KEY = 'bench-admin';
/** Each component its own key, as in production (ADR 0003). */
export const TORTURE_BRIDGE_ADMIN_KEY = 'bench-bridge-admin';
export const TORTURE_STOREFRONT_KEY = 'bench-storefront';
export const TORTURE_SECRET = 'bench-internal-secret';
/** Short, so that the run sees compensations, and a bridge outage many times longer fits in a short run. */
export const ALLOCATION_DEADLINE_SECONDS = 3;
/** Both bridge replicas down for this long: longer than the deadline, which must not undo a sale (invariant no-sale-undone-by-our-outage). */
export const BRIDGE_OUTAGE_MS = 3 * ALLOCATION_DEADLINE_SECONDS * 1000;
/** Two replicas on Kafka: the objects push to either, the saga partitions are split between them. */
const BRIDGE_REPLICAS = 2;
/** A killed replica's partitions move to its peer after Kafka's session timeout (10 s) and a restore. */
const TAKEOVER_TIMEOUT_MS = 60_000;


type Broker = { brokers: string; port: number };

/**
 * The whole system on this machine, every part restartable: the Worker in workerd (Miniflare,
 * state on disk, a fixed port), two bridge replicas on a real Kafka broker (BRIDGE_URL lists
 * both), and both warehouse simulators (SOAP and SAP OData, warehouses.ts) with their faults. The faults of the torture run are methods of this object. The bridge reaches
 * the edge through a tap that keeps what rebuilds send (see `ViewTap`).
 */
export class TortureSystem {
  edge!: RunningEdge;
  bridges!: BridgeReplicas;
  /** The SOAP warehouse's simulator and the SAP one's (warehouses.ts). */
  wms!: ServiceProcess;
  sap!: ServiceProcess;
  warehouses!: Warehouses;
  broker!: Broker;
  tap!: ViewTap;
  /** The bucket every replica archives to (a local S3 API server), and the server. */
  objects!: S3ObjectStore;
  #s3: LocalS3 | null = null;
  /** True while the edge runtime is stopped on purpose: a request then may get no answer. */
  edgeDown = false;
  readonly log: string[] = [];
  /** The bridge outages of the run (every replica down) and the replicas killed alone, for the checks. */
  readonly outages: Outage[] = [];
  readonly kills: ReplicaKill[] = [];
  #dir = '';
  #script = '';
  #edgePort = 0;
  #replicaKills = 0;
  #wmsOutages = 0;

  /** A running bridge replica: any one answers for the whole group. */
  get bridge(): BridgeProcess {
    return this.bridges.live;
  }

  get edgeUrl(): string {
    return `http://127.0.0.1:${this.#edgePort}`;
  }

  /** `faults`: each warehouse's for the whole run (warehouses.ts), or none. */
  async start(faults: boolean): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), 'torture-'));
    this.#script = buildWorker();
    this.broker = await startKafka();
    const bridgePorts: number[] = [];
    for (let i = 0; i < BRIDGE_REPLICAS; i++) bridgePorts.push(await freePort());
    const [wmsPort, sapPort] = [await freePort(), await freePort()];
    this.#edgePort = await freePort();
    this.wms = await startWmsProcess({ WMS_ADMIN_KEYS: TORTURE_WMS_ADMIN_KEY, WMS_PORT: String(wmsPort), WMS_DATA_DIR: join(this.#dir, 'wms'), WMS_LOCATIONS: SOAP_LOCATIONS.join(','), ...(faults ? WMS_FAULTS : {}) });
    this.sap = await startSapProcess({
      SAP_ADMIN_KEYS: TORTURE_SAP_ADMIN_KEY,
      SAP_PORT: String(sapPort),
      SAP_STATE_FILE: join(this.#dir, 'sap.json'),
      SAP_USER,
      SAP_PASSWORD,
      SAP_PLANTS: JSON.stringify(SAP_PLANTS),
      // Only what its goods receipts bring: the fed SKUs' opening stock.
      SAP_UNSTOCKED: 'empty',
      ...(faults ? SAP_FAULTS : {}),
    });
    this.warehouses = new Warehouses(this.wms, this.sap);
    this.tap = await ViewTap.start(this.#edgePort);
    this.#s3 = await startLocalS3({ directory: join(this.#dir, 'objects') });
    this.objects = new S3ObjectStore({ endpoint: this.#s3.endpoint, bucket: 'torture-archive', region: 'auto', ...LOCAL_S3_CREDENTIALS });
    await this.objects.ensureBucket();
    this.bridges = new BridgeReplicas(bridgePorts, {
      KAFKA_BROKERS: this.broker.brokers,
      INTERNAL_SECRET: TORTURE_SECRET,
      EDGE_URL: this.tap.url,
      WMS_URL: `${this.wms.url}/wms`,
      // The bridge follows both warehouses' movements (the fed SKUs' stock) and allocates at each one's sites.
      WAREHOUSES: this.warehouses.config(),
      // A create SAP applied late (its fault) is swept within the run's patience, not the default 30 s.
      SAP_SWEEP_MS: '2000',
      BRIDGE_ADMIN_KEYS: TORTURE_BRIDGE_ADMIN_KEY,
      WMS_CALL_TIMEOUT_MS: '400',
      ALLOCATION_DEADLINE_SECONDS: String(ALLOCATION_DEADLINE_SECONDS),
      SNAPSHOT_EVERY_EVENTS: '2000',
      // Every event archived by replicas that are SIGKILLed mid-write (issue 27), snapshots to the bucket every 5 s.
      ARCHIVE: 'on',
      ARCHIVE_S3_ENDPOINT: this.#s3.endpoint,
      ARCHIVE_S3_BUCKET: 'torture-archive',
      ARCHIVE_FLUSH_MS: '1000',
      ARCHIVE_SNAPSHOT_EVERY_MS: '5000',
    }, TORTURE_BRIDGE_ADMIN_KEY);
    await this.#startEdge(this.bridges.urls);
    await this.bridges.startAll();
  }

  #bridgeUrlForEdge = '';
  async #startEdge(bridgeUrl: string): Promise<void> {
    this.#bridgeUrlForEdge = bridgeUrl;
    this.edge = await startEdge(
      // TORTURE_RESERVE_GROUP_MAX: the objects' group commit of reserves (ADR 0021; on by default, 1 turns it off).
      { BRIDGE_URL: bridgeUrl, RELAY_MAX_BACKOFF_SECONDS: '2', ...(process.env.TORTURE_RESERVE_GROUP_MAX ? { RESERVE_GROUP_MAX: process.env.TORTURE_RESERVE_GROUP_MAX } : {}) },
      { scriptPath: this.#script, port: this.#edgePort, stateDir: join(this.#dir, 'edge'), handleStructuredLogs: dropLog },
    );
  }

  /**
   * One replica SIGKILLed (each in turn): the objects fail over to the other, which takes over its
   * saga partitions (waited for, so the run sees the takeover); then it is started again and the
   * group splits the partitions anew.
   */
  async killReplica(): Promise<void> {
    const { replicas } = this.bridges;
    const victim = replicas[this.#replicaKills++ % replicas.length]!;
    const survivor = replicas.find((r) => r !== victim)!;
    await this.bridges.waitForShare(victim, TAKEOVER_TIMEOUT_MS);
    this.#note(`${victim.name} SIGKILL`);
    await this.bridges.kill(victim);
    const at = victim.lives.at(-1)!.endedAt;
    await this.bridges.waitForSoleOwner(survivor, TAKEOVER_TIMEOUT_MS);
    this.#note(`${survivor.name} owns every saga partition`);
    await this.bridges.restart(victim);
    this.kills.push({ replica: victim.name, at, back: Date.now() });
    this.#note(`${victim.name} back`);
  }

  /** Every replica SIGKILLed at once and kept down for `forMs` while the buyers go on. */
  async bridgeOutage(forMs: number): Promise<void> {
    this.#note(`every bridge replica SIGKILL, down for ${forMs} ms`);
    await Promise.all(this.bridges.replicas.map((r) => this.bridges.kill(r)));
    const from = Date.now();
    await pause(forMs);
    await this.bridges.startAll();
    this.outages.push({ from, to: Date.now() });
    this.#note('every bridge replica back');
  }

  async restartBroker(): Promise<void> {
    this.#note('Kafka broker stopped');
    await stopKafka(this.broker, { keepData: true });
    await pause(2_000);
    this.broker = await startKafka({ restart: this.broker });
    this.#note('Kafka broker back');
  }

  /** The whole runtime goes away and comes back on the same storage: every object restarts cold. */
  async restartEdge(): Promise<void> {
    this.edgeDown = true;
    try {
      this.#note('edge runtime stopped (every Durable Object evicted)');
      await this.edge.close();
      await pause(500);
      await this.#startEdge(this.#bridgeUrlForEdge);
      this.#note('edge runtime back');
    } finally {
      this.edgeDown = false;
    }
  }

  /** One warehouse down, SAP and SOAP in turn: the sagas caught at its site fail over to the other's. */
  async wmsOutage(forMs: number): Promise<void> {
    const site: Site = this.warehouses.all[++this.#wmsOutages % 2]!;
    this.#note(`${site.warehouse} outage for ${forMs} ms`);
    const res = await fetch(`${site.url}/admin/outage`, { method: 'POST', headers: { authorization: `Bearer ${site.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ forMs }) });
    if (!res.ok) throw new Error(`${site.warehouse} outage refused: ${res.status}`);
  }

  /** The end of the storm: both warehouses answer promptly again, so reconcile can read them. */
  async calmWms(): Promise<void> {
    const calm = { timeoutRate: 0, faultRate: 0, duplicateRate: 0, lateRate: 0, outageUntil: 0 };
    await setWmsFaults(this.wms.url, TORTURE_WMS_ADMIN_KEY, calm);
    await setWmsFaults(this.sap.url, TORTURE_SAP_ADMIN_KEY, { ...calm, throttleRate: 0, lostRate: 0 });
  }

  /** Writes every bridge process's output and the simulator's to a new directory, answered. */
  async saveLogs(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'torture-logs-'));
    const lives = new Map<string, number>();
    await Promise.all(
      this.bridges.outputs().map(({ replica, output }) => {
        const life = (lives.get(replica) ?? 0) + 1;
        lives.set(replica, life);
        return writeFile(join(dir, `${replica}.${life}.log`), output);
      }),
    );
    await writeFile(join(dir, 'wms.log'), this.wms.output());
    await writeFile(join(dir, 'sap.log'), this.sap.output());
    return dir;
  }

  async stop(): Promise<void> {
    await this.bridges?.stop();
    await this.wms?.kill('SIGTERM');
    await this.sap?.kill('SIGTERM');
    await this.edge?.close();
    await this.tap?.close();
    await this.#s3?.close();
    if (this.broker) await stopKafka(this.broker);
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }

  #note(what: string): void {
    this.log.push(`${new Date().toISOString()} ${what}`);
  }
}

/** The objects' expected warnings (pushes refused while the bridge is down) would drown the report. */
const dropLog = () => {};

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
