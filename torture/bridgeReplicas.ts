import { startBridgeProcess, type BridgeProcess } from '../test/e2e/support/processes';
import { sagaSpans } from './groupChecks';

/** A replica's earlier process: what it printed, and when it was killed (its ownership spans end there). */
export type Life = { output: string; endedAt: number };

/**
 * One bridge replica: a fixed public port (the objects' BRIDGE_URL lists it, so it must survive
 * restarts), its current process, and its earlier ones.
 */
export type Replica = { name: string; port: number; process: BridgeProcess | null; lives: Life[] };

/** The saga group's partitions (KAFKA_PARTITIONS, the bridge's default). */
export const SAGA_PARTITIONS = 12;

type Group = { partitions: number[]; members: { endpoint: string; partitions: number[] }[] };

/**
 * The bridge as a group of replicas on one Kafka cluster (docs/adr/0001-bridge-as-a-group.md),
 * every one restartable: the torture's bridge faults are methods of this object. Each replica
 * logs at `info`, so that its 'partitions …' lines say when it worked on which saga partition.
 */
export class BridgeReplicas {
  readonly replicas: Replica[];
  readonly #env: Record<string, string>;
  readonly #adminKey: string;

  constructor(ports: readonly number[], env: Record<string, string>, adminKey: string) {
    this.replicas = ports.map((port, i) => ({ name: `bridge-${i + 1}`, port, process: null, lives: [] }));
    this.#env = { ...env, LOG_LEVEL: 'info' };
    this.#adminKey = adminKey;
  }

  /** BRIDGE_URL for the objects: every replica's public listener. */
  get urls(): string {
    return this.replicas.map((r) => `http://127.0.0.1:${r.port}`).join(',');
  }

  /** A running replica (any answers for the whole group); throws while all are down. */
  get live(): BridgeProcess {
    const replica = this.replicas.find((r) => r.process);
    if (!replica) throw new Error('no bridge replica is running (an outage is under way)');
    return replica.process!;
  }

  async startAll(): Promise<void> {
    await Promise.all(this.replicas.map((r) => this.#start(r)));
  }

  /** SIGKILL: no goodbye, whatever was in flight is lost in the process. */
  async kill(replica: Replica): Promise<void> {
    const running = replica.process;
    if (!running) return;
    replica.process = null;
    await running.kill('SIGKILL');
    replica.lives.push({ output: running.output(), endedAt: Date.now() });
  }

  /**
   * Waits until `replica` alone owns every saga partition: its killed peers' partitions moved to
   * it (after Kafka's session timeout). Throws after `timeoutMs`.
   */
  async waitForSoleOwner(replica: Replica, timeoutMs: number): Promise<void> {
    await this.#waitFor(replica, timeoutMs, 'take over every saga partition', (group) => group.members.length === 1 && group.partitions.length === SAGA_PARTITIONS);
  }

  /**
   * Waits until every replica is in the saga group and `replica` works on some of its partitions
   * (by its own log): a replica killed before that would have nothing to hand over.
   */
  async waitForShare(replica: Replica, timeoutMs: number): Promise<void> {
    const working = () => sagaSpans([{ replica: replica.name, output: replica.process?.output() ?? '', endedAt: Number.MAX_SAFE_INTEGER }]).some((s) => s.to === Number.MAX_SAFE_INTEGER);
    await this.#waitFor(replica, timeoutMs, 'work on its share of the saga partitions', (group) => group.members.length === this.replicas.length && working());
  }

  async #waitFor(replica: Replica, timeoutMs: number, what: string, done: (group: Group) => boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: Group | null = null;
    while (Date.now() < deadline) {
      last = await this.#group(replica);
      if (last && done(last)) return;
      await pause(500);
    }
    throw new Error(`${replica.name} did not ${what} in ${timeoutMs} ms; last seen ${JSON.stringify(last)}`);
  }

  async restart(replica: Replica): Promise<void> {
    await this.#start(replica);
  }

  /** Every process of every replica, the running ones ending now. */
  outputs(): { replica: string; output: string; endedAt: number }[] {
    const now = Date.now();
    return this.replicas.flatMap((r) => [
      ...r.lives.map((life) => ({ replica: r.name, ...life })),
      ...(r.process ? [{ replica: r.name, output: r.process.output(), endedAt: now }] : []),
    ]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.flatMap((r) => (r.process ? [r.process.kill('SIGTERM')] : [])));
  }

  async #start(replica: Replica): Promise<void> {
    replica.process = await startBridgeProcess({ ...this.#env, BRIDGE_PORT: String(replica.port) }, 120_000);
  }

  async #group(replica: Replica): Promise<Group | null> {
    if (!replica.process) return null;
    const res = await fetch(`${replica.process.adminUrl}/admin/group`, { headers: { authorization: `Bearer ${this.#adminKey}` }, signal: AbortSignal.timeout(5_000) }).catch(() => null);
    return res?.ok ? ((await res.json()) as Group) : null;
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
