import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorker, startEdge, type RunningEdge } from '../bench/lib/edge';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../scripts/kafka.mjs';
import { freePort, startBridgeProcess, startWmsProcess, type BridgeProcess, type ServiceProcess } from '../test/e2e/support/processes';
import { ViewTap } from './viewTap';

export const TORTURE_ADMIN_KEY = 'bench-admin';
/** Each component its own key, as in production (ADR 0003). */
export const TORTURE_BRIDGE_ADMIN_KEY = 'bench-bridge-admin';
export const TORTURE_WMS_ADMIN_KEY = 'bench-wms-admin';
export const TORTURE_STOREFRONT_KEY = 'bench-storefront';
export const TORTURE_SECRET = 'bench-internal-secret';
/** Short, so that the run sees compensations; well below the shortest TTL a saga must outlive. */
export const ALLOCATION_DEADLINE_SECONDS = 3;

type Broker = { brokers: string; port: number };

/**
 * The whole system on this machine, every part restartable: the Worker in workerd (Miniflare,
 * state on disk, a fixed port), the bridge process on a real Kafka broker, and the WMS simulator
 * with its faults. The faults of the torture run are methods of this object. The bridge reaches
 * the edge through a tap that keeps what rebuilds send (see `ViewTap`).
 */
export class TortureSystem {
  edge!: RunningEdge;
  bridge!: BridgeProcess;
  wms!: ServiceProcess;
  broker!: Broker;
  tap!: ViewTap;
  /** True while the edge runtime is stopped on purpose: a request then may get no answer. */
  edgeDown = false;
  readonly log: string[] = [];
  #dir = '';
  #script = '';
  #edgePort = 0;
  #bridgeEnv: Record<string, string> = {};
  /** What each killed bridge process printed (warnings and errors), for a failed run's post-mortem. */
  readonly #earlierBridges: string[] = [];

  get edgeUrl(): string {
    return `http://127.0.0.1:${this.#edgePort}`;
  }

  async start(wmsFaults: Record<string, string>): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), 'torture-'));
    this.#script = buildWorker();
    this.broker = await startKafka();
    const [bridgePort, wmsPort] = [await freePort(), await freePort()];
    this.#edgePort = await freePort();
    this.wms = await startWmsProcess({ WMS_ADMIN_KEYS: TORTURE_WMS_ADMIN_KEY, WMS_PORT: String(wmsPort), WMS_DATA_DIR: join(this.#dir, 'wms'), ...wmsFaults });
    await this.#startEdge(`http://127.0.0.1:${bridgePort}`);
    this.tap = await ViewTap.start(this.#edgePort);
    this.#bridgeEnv = {
      BRIDGE_PORT: String(bridgePort),
      KAFKA_BROKERS: this.broker.brokers,
      INTERNAL_SECRET: TORTURE_SECRET,
      EDGE_URL: this.tap.url,
      WMS_URL: `${this.wms.url}/wms`,
      BRIDGE_ADMIN_KEYS: TORTURE_BRIDGE_ADMIN_KEY,
      WMS_CALL_TIMEOUT_MS: '400',
      ALLOCATION_DEADLINE_SECONDS: String(ALLOCATION_DEADLINE_SECONDS),
      SNAPSHOT_EVERY_EVENTS: '2000',
    };
    this.bridge = await startBridgeProcess(this.#bridgeEnv);
  }

  #bridgeUrlForEdge = '';
  async #startEdge(bridgeUrl: string): Promise<void> {
    this.#bridgeUrlForEdge = bridgeUrl;
    this.edge = await startEdge(
      { BRIDGE_URL: bridgeUrl, RELAY_MAX_BACKOFF_SECONDS: '2' },
      { scriptPath: this.#script, port: this.#edgePort, stateDir: join(this.#dir, 'edge'), handleStructuredLogs: dropLog },
    );
  }

  /** SIGKILL: no goodbye, whatever was in flight is lost in the process. */
  async killBridge(): Promise<void> {
    this.#note('bridge SIGKILL');
    await this.bridge.kill('SIGKILL');
    this.#earlierBridges.push(this.bridge.output());
    await pause(1_000);
    this.bridge = await startBridgeProcess(this.#bridgeEnv, 120_000);
    this.#note('bridge back');
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
    const bridges = [...this.#earlierBridges, this.bridge.output()];
    await Promise.all(bridges.map((output, i) => writeFile(join(dir, `bridge-${i + 1}.log`), output)));
    await writeFile(join(dir, 'wms.log'), this.wms.output());
    return dir;
  }

  async stop(): Promise<void> {
    await this.bridge?.kill('SIGTERM');
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
