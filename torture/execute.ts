import type { Op, Schedule } from './schedule';
import { pause, TORTURE_ADMIN_KEY, TORTURE_STOREFRONT_KEY, type TortureSystem } from './system';

/** An answer as the storefront saw it, after its retries. `ambiguous`: some attempt got no answer. */
export type Answer = { status: number; body: any; ambiguous: boolean; attempts: number };

/** What each operation got: the ledger the checks compare the logs with. */
export type Ledger = { answers: (Answer | null)[]; violations: string[]; faultsDone: string[]; startedAt: number; endedAt: number };

const RETRIES = 30;

/**
 * The storefront's client: a request that gets no answer (a runtime restarting, a socket cut) is
 * sent again, with the same Idempotency-Key, as a real checkout backend would, for up to ~30 s.
 */
async function send(system: TortureSystem, method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  let ambiguous = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${system.edgeUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      // 503 from the runtime while an object restarts is "no answer", not a refusal.
      if (res.status >= 500 && attempt < RETRIES) {
        ambiguous = true;
        await pause(attempt * 100);
        continue;
      }
      return { status: res.status, body: text ? JSON.parse(text) : null, ambiguous, attempts: attempt };
    } catch (error) {
      ambiguous = true;
      if (attempt >= RETRIES) return { status: 0, body: { error: String(error) }, ambiguous, attempts: attempt };
      await pause(Math.min(2_000, attempt * 200));
    }
  }
}

const reservationPath = (answer: Answer) => `/v1/skus/${answer.body.sku}/reservations/${answer.body.reservationId}`;

/** Runs the schedule with `concurrency` operations in flight; faults fire as the run passes them. */
export async function execute(system: TortureSystem, schedule: Schedule, concurrency: number, onProgress: (done: number) => void): Promise<Ledger> {
  const results: Promise<Answer | null>[] = new Array(schedule.ops.length);
  const ledger: Ledger = { answers: [], violations: [], faultsDone: [], startedAt: Date.now(), endedAt: 0 };
  const faults = [...schedule.faults];
  const running: Promise<void>[] = [];
  let next = 0;
  let done = 0;

  const runOp = async (op: Op): Promise<Answer | null> => {
    switch (op.kind) {
      case 'reserve':
        return send(system, 'POST', `/v1/skus/${op.sku}/reservations`, TORTURE_STOREFRONT_KEY, { customerId: op.customerId, qty: op.qty, ttlSeconds: op.ttlSeconds }, { 'idempotency-key': op.key });
      case 'replay': {
        const original = await results[op.of];
        const reserve = schedule.ops[op.of] as Extract<Op, { kind: 'reserve' }>;
        if (original?.status !== 201) return null;
        const again = await send(system, 'POST', `/v1/skus/${reserve.sku}/reservations`, TORTURE_STOREFRONT_KEY, { customerId: reserve.customerId, qty: reserve.qty, ttlSeconds: reserve.ttlSeconds }, { 'idempotency-key': reserve.key });
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
          ? send(system, 'POST', `${reservationPath(original)}/complete`, TORTURE_STOREFRONT_KEY, { customerId })
          : send(system, 'DELETE', `${reservationPath(original)}?customerId=${customerId}`, TORTURE_STOREFRONT_KEY);
      }
      case 'receipt':
        return send(system, 'POST', `/v1/admin/skus/${op.sku}/receipts`, TORTURE_ADMIN_KEY, { qty: op.qty }, { 'idempotency-key': op.key });
      case 'checkout':
        return send(system, 'POST', '/v1/checkouts', TORTURE_STOREFRONT_KEY, { customerId: op.customerId, lines: op.lines, ttlSeconds: op.ttlSeconds }, { 'idempotency-key': op.key });
      case 'checkoutChange': {
        const original = await results[op.of];
        const id = original?.body?.checkoutId;
        if (!id) return null;
        const { customerId } = original!.body;
        return op.change === 'complete'
          ? send(system, 'POST', `/v1/checkouts/${id}/complete`, TORTURE_STOREFRONT_KEY, { customerId })
          : send(system, 'DELETE', `/v1/checkouts/${id}?customerId=${customerId}`, TORTURE_STOREFRONT_KEY);
      }
    }
  };

  // One fault at a time: a second bridge kill must not race the restart of the first.
  let faultChain = Promise.resolve();
  const fire = (index: number) => {
    while (faults.length && faults[0]!.at <= index) {
      const fault = faults.shift()!;
      faultChain = faultChain.then(() =>
        injectFault(system, fault.kind).then(
          () => void ledger.faultsDone.push(`${fault.kind} at op ${fault.at}`),
          (error) => void ledger.violations.push(`fault ${fault.kind} could not be injected: ${String(error).slice(0, 500)}`),
        ),
      );
    }
  };

  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < schedule.ops.length) {
        const index = next++;
        fire(index);
        const op = schedule.ops[index]!;
        results[index] = runOp(op);
        // Aimed at a TTL boundary: waits on its own, not holding a slot.
        if ((op.kind === 'complete' || op.kind === 'cancel') && op.atExpiryOffsetMs !== null) running.push(results[index]!.then(() => undefined));
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

async function injectFault(system: TortureSystem, kind: Schedule['faults'][number]['kind']): Promise<void> {
  switch (kind) {
    case 'bridge-kill':
      return system.killBridge();
    case 'broker-restart':
      return system.restartBroker();
    case 'edge-restart':
      return system.restartEdge();
    case 'wms-outage':
      return system.wmsOutage(8_000);
    case 'rebuild':
      return rebuildProjections(system);
  }
}

/**
 * A blue-green rebuild of the read model from the snapshots, while the run goes on, to the switch.
 * A bridge killed under it loses the rebuild (it runs in the bridge's memory): it is started again.
 */
async function rebuildProjections(system: TortureSystem): Promise<void> {
  const admin = { authorization: `Bearer ${TORTURE_ADMIN_KEY}`, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown) => {
    try {
      const res = await fetch(`${system.bridge.url}/admin/projections${path}`, { method, headers: admin, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, json: (await res.json()) as any };
    } catch {
      return null;
    }
  };
  let id: string | null = null;
  for (let i = 0; i < 600; i++) {
    if (!id) id = (await call('POST', '/rebuild', { from: 'snapshots', graceSeconds: 5 }))?.json?.id ?? null;
    await pause(500);
    const rebuild = (await call('GET', ''))?.json?.rebuild as { id: string; state: string; error: string | null } | null | undefined;
    if (rebuild === undefined) continue;
    if (rebuild?.id !== id) id = null;
    else if (rebuild.state === 'switched') return;
    else if (rebuild.state === 'failed') throw new Error(`rebuild failed: ${rebuild.error}`);
  }
  throw new Error('rebuild did not finish in 5 minutes');
}
