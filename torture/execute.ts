import { StorefrontClient, type Answer } from './client';
import type { Attempt as Operation } from '../src/contract/availability';
import { countBelowCommitted, postDocument, redeliver, repost } from './fedOps';
import type { FaultWindow } from './operationTally';
import { recordCut, type RebuildCut } from './rebuildCut';
import type { Op, Schedule } from './schedule';
import { BRIDGE_OUTAGE_MS, pause, TORTURE_ADMIN_KEY, TORTURE_BRIDGE_ADMIN_KEY, TORTURE_STOREFRONT_KEY, type TortureSystem } from './system';
import type { Tally } from './tally';

export type { Answer };

/**
 * What each operation got: the ledger the checks compare the logs with. `tally`: every attempt's
 * answer; `operations`: each client operation's span and whether it ended definitive, with
 * `faultWindows` for honest availability; `rebuild`: the log's end offsets around the mid-run
 * rebuild's replay, and its generation.
 */
export type Ledger = {
  answers: (Answer | null)[];
  violations: string[];
  faultsDone: string[];
  tally: Tally;
  operations: Operation[];
  faultWindows: FaultWindow[];
  rebuild: RebuildCut | null;
  startedAt: number;
  endedAt: number;
};

const reservationPath = (answer: Answer) => `/v1/skus/${answer.body.sku}/reservations/${answer.body.reservationId}`;

/** Runs the schedule with `concurrency` operations in flight; faults fire as the run passes them. */
export async function execute(system: TortureSystem, schedule: Schedule, concurrency: number, onProgress: (done: number) => void): Promise<Ledger> {
  const results: Promise<Answer | null>[] = new Array(schedule.ops.length);
  const client = new StorefrontClient(() => system.edgeUrl, () => system.edgeDown);
  const send = client.send.bind(client);
  const ledger: Ledger = { answers: [], violations: [], faultsDone: [], tally: client.tally, operations: client.operations, faultWindows: [], rebuild: null, startedAt: Date.now(), endedAt: 0 };
  const faults = [...schedule.faults];
  const running: Promise<void>[] = [];
  let next = 0;
  let done = 0;

  const runOp = async (op: Op): Promise<Answer | null> => {
    switch (op.kind) {
      case 'reserve':
        return send('POST', `/v1/skus/${op.sku}/reservations`, TORTURE_STOREFRONT_KEY, { customerId: op.customerId, qty: op.qty, ttlSeconds: op.ttlSeconds, ...(op.region ? { region: op.region } : {}) }, { 'idempotency-key': op.key });
      case 'replay': {
        const original = await results[op.of];
        const reserve = schedule.ops[op.of] as Extract<Op, { kind: 'reserve' }>;
        if (original?.status !== 201) return null;
        // A request sent again, as the contract asks of a retry (ADR 0020): the object's answer, never the edge's sold-out memory.
        const again = await send('POST', `/v1/skus/${reserve.sku}/reservations`, TORTURE_STOREFRONT_KEY, { customerId: reserve.customerId, qty: reserve.qty, ttlSeconds: reserve.ttlSeconds, ...(reserve.region ? { region: reserve.region } : {}) }, { 'idempotency-key': reserve.key, 'cache-control': 'no-cache' });
        if (again.status !== 201 || JSON.stringify(again.body) !== JSON.stringify(original.body)) {
          ledger.violations.push(`replay of op ${op.of} (${reserve.key}) answered ${again.status} ${JSON.stringify(again.body)}, first ${JSON.stringify(original.body)}`);
        }
        return again;
      }
      case 'complete':
      case 'cancel': {
        const original = await results[op.of];
        if (original?.status !== 201) return null;
        if (op.atExpiryOffsetMs !== null) await pause(Math.max(0, Date.parse(original.body.expiresAt) + op.atExpiryOffsetMs - Date.now()));
        const customerId = original.body.customerId;
        return op.kind === 'complete'
          ? send('POST', `${reservationPath(original)}/complete`, TORTURE_STOREFRONT_KEY, { customerId })
          : send('DELETE', `${reservationPath(original)}?customerId=${customerId}`, TORTURE_STOREFRONT_KEY);
      }
      case 'receipt':
        return send('POST', `/v1/admin/skus/${op.sku}/receipts`, TORTURE_ADMIN_KEY, { qty: op.qty }, { 'idempotency-key': op.key });
      case 'checkout':
        return send('POST', '/v1/checkouts', TORTURE_STOREFRONT_KEY, { customerId: op.customerId, lines: op.lines, ttlSeconds: op.ttlSeconds }, { 'idempotency-key': op.key });
      case 'checkoutChange': {
        const original = await results[op.of];
        const id = original?.body?.checkoutId;
        if (!id) return null;
        const { customerId } = original.body;
        return op.change === 'complete'
          ? send('POST', `/v1/checkouts/${id}/complete`, TORTURE_STOREFRONT_KEY, { customerId })
          : send('DELETE', `/v1/checkouts/${id}?customerId=${customerId}`, TORTURE_STOREFRONT_KEY);
      }
      case 'movement':
        return postDocument(system, { type: op.movement, document: op.document, location: op.location, sku: op.sku, qty: op.qty });
      case 'count':
        return countBelowCommitted(system, client, op);
      case 'repost':
      case 'redeliver': {
        const original = await results[op.of];
        if (original?.status !== 201) return null;
        return op.kind === 'repost' ? repost(system, original.body, ledger.violations) : redeliver(system, client, original.body, ledger.violations);
      }
    }
  };

  // One fault at a time: a bridge outage must not race the restart of a killed replica.
  let faultChain = Promise.resolve();
  const fire = (index: number) => {
    while (faults.length && faults[0]!.at <= index) {
      const fault = faults.shift()!;
      faultChain = faultChain.then(() => {
        const fromMs = Date.now();
        return injectFault(system, fault.kind, ledger).then(
          () => void ledger.faultsDone.push(`${fault.kind} at op ${fault.at}`),
          (error) => void ledger.violations.push(`fault ${fault.kind} could not be injected: ${String(error).slice(0, 500)}`),
        ).finally(() => ledger.faultWindows.push({ kind: fault.kind, fromMs, toMs: Math.max(Date.now(), fromMs + (LASTS_AFTER_RETURN_MS[fault.kind] ?? 0)) }));
      });
    }
  };

  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < schedule.ops.length) {
        const index = next++;
        fire(index);
        const op = schedule.ops[index]!;
        results[index] = runOp(op);
        // Aimed at a TTL boundary, or waiting for the feed: waits on its own, not holding a slot.
        if (((op.kind === 'complete' || op.kind === 'cancel') && op.atExpiryOffsetMs !== null) || op.kind === 'redeliver') running.push(results[index].then(() => undefined));
        else await results[index];
        onProgress(++done);
      }
    }),
  );
  await Promise.all(running);
  await faultChain;
  ledger.answers = await Promise.all(results);
  ledger.endedAt = Date.now();
  return ledger;
}

/** A fault that goes on after its injection returns: the warehouse's outage is asked for, then lasts. */
const WMS_OUTAGE_MS = 8_000;
const LASTS_AFTER_RETURN_MS: Partial<Record<Schedule['faults'][number]['kind'], number>> = { 'wms-outage': WMS_OUTAGE_MS };

async function injectFault(system: TortureSystem, kind: Schedule['faults'][number]['kind'], ledger: Ledger): Promise<void> {
  switch (kind) {
    case 'replica-kill':
      return system.killReplica();
    case 'bridge-outage':
      return system.bridgeOutage(BRIDGE_OUTAGE_MS);
    case 'broker-restart':
      return system.restartBroker();
    case 'edge-restart':
      return system.restartEdge();
    case 'wms-outage':
      return system.wmsOutage(WMS_OUTAGE_MS);
    case 'rebuild':
      ledger.rebuild = await rebuildProjections(system);
      return;
  }
}

/**
 * A blue-green rebuild of the read model from the snapshots, while the run goes on, to the switch.
 * A bridge killed under it loses the rebuild (it runs in the bridge's memory): it is started again.
 * The events topic's end offsets are read before the request and once its replay is over: the
 * rebuild's own cut lies between them, which is what the isolated rebuild check needs.
 */
async function rebuildProjections(system: TortureSystem): Promise<RebuildCut> {
  const admin = { authorization: `Bearer ${TORTURE_BRIDGE_ADMIN_KEY}`, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown) => {
    try {
      const res = await fetch(`${system.bridge.adminUrl}/admin/projections${path}`, { method, headers: admin, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, json: (await res.json()) as any };
    } catch {
      return null;
    }
  };
  let id: string | null = null;
  let cut: RebuildCut | null = null;
  for (let i = 0; i < 600; i++) {
    if (!id) {
      const before = await recordCut(system);
      id = (await call('POST', '/rebuild', { from: 'snapshots', graceSeconds: 5 }))?.json?.id ?? null;
      cut = { generation: '', before, after: new Map() };
    }
    await pause(500);
    const rebuild = (await call('GET', ''))?.json?.rebuild as { id: string; state: string; phase: string; generation: string; error: string | null } | null | undefined;
    if (rebuild === undefined) continue;
    if (rebuild?.id !== id) id = null;
    else if (rebuild.state === 'failed') throw new Error(`rebuild failed: ${rebuild.error}`);
    else if (rebuild.phase !== 'replaying' && cut!.after.size === 0) cut = { ...cut!, generation: rebuild.generation, after: await recordCut(system) };
    if (rebuild?.id === id && rebuild.state === 'switched') return cut!;
  }
  throw new Error('rebuild did not finish in 5 minutes');
}
