import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorker, startEdge, type RunningEdge } from '../bench/lib/edge';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../scripts/kafka.mjs';
import { freePort, startWmsProcess, type BridgeProcess, type ServiceProcess } from '../test/e2e/support/processes';
import { BridgeReplicas } from './bridgeReplicas';
import { FED_SITES } from './schedule';
import type { Outage, ReplicaKill } from './groupChecks';
import { ViewTap } from './viewTap';

export const TORTURE_ADMIN_KEY = 'bench-admin';
/** Each component its own key, as in production (ADR 0003). */
export const TORTURE_BRIDGE_ADMIN_KEY = 'bench-bridge-admin';
export const TORTURE_WMS_ADMIN_KEY = 'bench-wms-admin';
export const TORTURE_STOREFRONT_KEY = 'bench-storefront';
export const TORTURE_SECRET = 'bench-internal-secret';
/** The one warehouse system: its first site takes the allocations of SKUs that name no location, the others are fed SKUs' sites. */
export const TORTURE_WAREHOUSE = 'soap-1';
const WMS_LOCATIONS = ['default', ...FED_SITES.map((s) => s.location)];
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
 * both), and the WMS simulator with its faults. The faults of the torture run are methods of this object. The bridge reaches
 * the edge through a tap that keeps what rebuilds send (see `ViewTap`).
 */
export class TortureSystem {
  edge!: RunningEdge;
  bridges!: BridgeReplicas;
  wms!: ServiceProcess;
  broker!: Broker;
  tap!: ViewTap;
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

  /** A running bridge replica: any one answers for the whole group. */
  get bridge(): BridgeProcess {
    return this.bridges.live;
  }

  get edgeUrl(): string {
    return `http://127.0.0.1:${this.#edgePort}`;
  }

  async start(wmsFaults: Record<string, string>): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), 'torture-'));
    this.#script = buildWorker();
    this.broker = await startKafka();
    const bridgePorts: number[] = [];
    for (let i = 0; i < BRIDGE_REPLICAS; i++) bridgePorts.push(await freePort());
    const wmsPort = await freePort();
    this.#edgePort = await freePort();
    this.wms = await startWmsProcess({ WMS_ADMIN_KEYS: TORTURE_WMS_ADMIN_KEY, WMS_PORT: String(wmsPort), WMS_DATA_DIR: join(this.#dir, 'wms'), WMS_LOCATIONS: WMS_LOCATIONS.join(','), ...wmsFaults });
    this.tap = await ViewTap.start(this.#edgePort);
    this.bridges = new BridgeReplicas(bridgePorts, {
      KAFKA_BROKERS: this.broker.brokers,
      INTERNAL_SECRET: TORTURE_SECRET,
      EDGE_URL: this.tap.url,
      WMS_URL: `${this.wms.url}/wms`,
      // The bridge follows this warehouse's movements: the fed SKUs' stock.
      WAREHOUSES: JSON.stringify([{ id: TORTURE_WAREHOUSE, kind: 'soap', url: `${this.wms.url}/wms`, locations: WMS_LOCATIONS }]),
      BRIDGE_ADMIN_KEYS: TORTURE_BRIDGE_ADMIN_KEY,
      WMS_CALL_TIMEOUT_MS: '400',
      ALLOCATION_DEADLINE_SECONDS: String(ALLOCATION_DEADLINE_SECONDS),
      SNAPSHOT_EVERY_EVENTS: '2000',
    }, TORTURE_BRIDGE_ADMIN_KEY);
    await this.#startEdge(this.bridges.urls);
    await this.bridges.startAll();
  }

  #bridgeUrlForEdge = '';
  async #startEdge(bridgeUrl: string): Promise<void> {
    this.#bridgeUrlForEdge = bridgeUrl;
    this.edge = await startEdge(
      { BRIDGE_URL: bridgeUrl, RELAY_MAX_BACKOFF_SECONDS: '2' },
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

  async wmsOutage(forMs: number): Promise<void> {
    this.#note(`WMS outage for ${forMs} ms`);
    const res = await fetch(`${this.wms.url}/admin/outage`, { method: 'POST', headers: { authorization: `Bearer ${TORTURE_WMS_ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ forMs }) });
    if (!res.ok) throw new Error(`WMS outage refused: ${res.status}`);
  }

  /** The end of the storm: the warehouse answers promptly again, so reconcile can read it. */
  async calmWms(): Promise<void> {
    const res = await fetch(`${this.wms.url}/admin/faults`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TORTURE_WMS_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ timeoutRate: 0, faultRate: 0, duplicateRate: 0, lateRate: 0, outageUntil: 0 }),
    });
    if (!res.ok) throw new Error(`WMS faults not changed: ${res.status} ${await res.text()}`);
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
    return dir;
  }

  async stop(): Promise<void> {
    await this.bridges?.stop();
    await this.wms?.kill('SIGTERM');
    await this.edge?.close();
    await this.tap?.close();
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
