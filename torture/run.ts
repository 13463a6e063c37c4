import { printTable } from '../bench/lib/report';
import { SAGAS_TOPIC } from '../bridge/eventLog/topics';
import { sagaHistory } from '../test/e2e/support/ownership';
import { SAGA_PARTITIONS } from './bridgeReplicas';
import { checkoutHolds } from './checkoutHolds';
import {
  acknowledgedWrites,
  checkoutsWhole,
  conservation,
  foldAll,
  get,
  kafkaEqualsLogs,
  noOversell,
  nothingStuck,
  projectionsEqual,
  reconcile,
  ttlBoundaries,
  waitUntilSettled,
  type Check,
} from './checks';
import { execute, type Ledger } from './execute';
import { createFedSkus, fedChecks, fedOpen } from './feed';
import { fuzz } from './fuzz';
import { bridgeOutageHarmless, completedPurchasesKept, sagasOwnedOnce, sagaStatesForward, wmsTimeoutsFromWms, type SagaHistory } from './groupChecks';
import { readEventsTopic } from './rebuildCut';
import { rebuildIsolated } from './rebuildIsolated';
import { makeSchedule, type Schedule } from './schedule';
import { noServerErrors, summarize, type TortureSummary } from './summary';
import { warehouseTally } from './warehouseTally';
import { archiveMatchesLogs } from './archiveChecks';
import { ALLOCATION_DEADLINE_SECONDS, TORTURE_ADMIN_KEY, TORTURE_SECRET, TORTURE_STOREFRONT_KEY, TortureSystem } from './system';

export type TortureOptions = {
  seed: number;
  ops: number;
  fuzzRequests: number;
  concurrency?: number;
  /** Off: the same operations on a calm system (to tell a fault's doing from a plain bug). */
  faults?: boolean;
};

export type TortureReport = { seed: number; checks: Check[]; violations: number; seconds: number; summary: TortureSummary };

/**
 * A seeded, reproducible torture run: the schedule's operations against the whole system while
 * its faults strike, then every invariant checked against the logs, Kafka, the warehouse and the
 * read model, then a fuzz of malformed requests that must neither fail nor append anything.
 */
export async function runTorture({ seed, ops, fuzzRequests, concurrency = 24, faults = true }: TortureOptions): Promise<TortureReport> {
  const started = Date.now();
  const schedule = makeSchedule({ seed, ops, faults });
  console.log(`torture: seed ${seed}, ${schedule.ops.length.toLocaleString('en-US')} operations (${(schedule.ops.length - ops).toLocaleString('en-US')} of them on fed stock), ${schedule.faults.length} faults, ${fuzzRequests.toLocaleString('en-US')} fuzz requests`);
  const system = new TortureSystem();
  try {
    await system.start(faults);
    await createSkus(system, schedule);
    await createFedSkus(system, schedule);
    const ledger = await execute(system, schedule, concurrency, progress(schedule.ops.length, started));
    console.log(`operations done in ${((ledger.endedAt - ledger.startedAt) / 1000).toFixed(1)} s; checking checkouts, then waiting for TTLs, sagas and the relay to settle`);
    // Before the TTLs pass: a hold a cancelled checkout left behind would be expired by then.
    const holds = await checkoutHolds(system, schedule, ledger, await foldAll(system, schedule));
    await system.calmWms();
    const maxTtl = Math.max(...schedule.ops.map((op) => ('ttlSeconds' in op ? op.ttlSeconds : 0)));
    const settled = await waitUntilSettled(system, schedule, { ttlsPassMs: (maxTtl + 10) * 1000, stallMs: 120_000, capMs: 30 * 60_000, alsoOpen: (folded) => fedOpen(system, schedule, folded) });
    const { folded } = settled;
    console.log(settled.settledAfterMs === null
      ? `${settled.open} reservations still unsettled when the wait gave up (no progress for 120 s, or 30 min)`
      : `settled ${(settled.settledAfterMs / 1000).toFixed(0)} s after the operations' checks began`);
    const [records, latest] = [await readEventsTopic(system), await foldAll(system, schedule)];
    // Every state every saga ever had, committed: read before compaction could drop any.
    const history: SagaHistory = await sagaHistory(system.broker.brokers, SAGAS_TOPIC, 600_000);
    const checks: Check[] = [
      noServerErrors(ledger),
      { check: 'idempotent replays identical', checked: schedule.ops.filter((o) => o.kind === 'replay').length, violations: ledger.violations.filter((v) => v.startsWith('replay')) },
      { check: 'faults injected', checked: ledger.faultsDone.length, violations: ledger.violations.filter((v) => v.startsWith('fault')) },
      noOversell(folded),
      ...(await fedChecks(system, schedule, folded, ledger)),
      await conservation(system, folded, schedule, ledger),
      acknowledgedWrites(folded, schedule, ledger),
      ttlBoundaries(folded),
      await nothingStuck(system, folded),
      holds,
      await checkoutsWhole(system, schedule, ledger),
      await reconcile(system, folded, history),
      completedPurchasesKept(folded),
      wmsTimeoutsFromWms(folded, history, ALLOCATION_DEADLINE_SECONDS * 1000, system.outages),
      bridgeOutageHarmless(folded, history, ALLOCATION_DEADLINE_SECONDS * 1000, system.outages),
      sagasOwnedOnce(system.bridges.outputs(), system.kills, SAGA_PARTITIONS),
      sagaStatesForward(history),
      kafkaEqualsLogs(records, latest),
      rebuildIsolated(latest, ledger.rebuild, system.tap.sent.get(ledger.rebuild?.generation ?? ''), records),
      await projectionsEqual(system, folded),
      ...(await archiveMatchesLogs(system.objects, latest)),
      await fuzzCheck(system, schedule, fuzzRequests, seed),
    ];
    const seconds = (Date.now() - started) / 1000;
    const summary = summarize(seed, ops, ledger, checks, seconds, settled.settledAfterMs, warehouseTally(latest, system.warehouses));
    report(schedule, ledger, system, checks, summary);
    if (summary.violations > 0) console.log(`the bridge's and the WMS simulator's logs of this run: ${await system.saveLogs()}`);
    return { seed, checks, violations: summary.violations, seconds, summary };
  } finally {
    await system.stop();
  }
}

async function createSkus(system: TortureSystem, schedule: Schedule): Promise<void> {
  for (const { sku, stock, limitPerCustomer } of schedule.skus.filter((s) => !s.fed)) {
    const res = await fetch(`${system.edgeUrl}/v1/admin/skus/${sku}/stock`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TORTURE_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ onHand: stock, limitPerCustomer }),
    });
    if (res.status !== 200) throw new Error(`stock of ${sku}: ${res.status} ${await res.text()}`);
  }
}

function progress(total: number, started: number) {
  let shown = 0;
  return (done: number) => {
    if (done * 20 < (shown + 1) * total && done !== total) return;
    shown = Math.floor((done * 20) / total);
    const seconds = (Date.now() - started) / 1000;
    console.log(`  ${Math.round((done / total) * 100)}%  ${done.toLocaleString('en-US')} operations, ${Math.round(done / seconds)}/s`);
  };
}

/** Malformed requests after the storm: zero 5xx, zero events appended to any SKU. */
async function fuzzCheck(system: TortureSystem, schedule: Schedule, requests: number, seed: number): Promise<Check> {
  const skus = schedule.skus.map((s) => s.sku);
  const before = await versions(system, skus);
  const result = await fuzz({ url: system.edgeUrl, seed, requests, concurrency: 16, adminKey: TORTURE_ADMIN_KEY, storefrontKey: TORTURE_STOREFRONT_KEY, internalSecret: TORTURE_SECRET, skus });
  const after = await versions(system, skus);
  const violations = [
    ...(result.serverErrorCount > 0 ? [`${result.serverErrorCount} answers were 5xx`] : []),
    ...result.serverErrors.map((e) => `5xx: ${JSON.stringify(e).slice(0, 300)}`),
    ...result.networkErrorSamples.map((e) => `no answer: ${JSON.stringify(e).slice(0, 300)}`),
    ...(result.networkErrors > result.networkErrorSamples.length ? [`and ${result.networkErrors - result.networkErrorSamples.length} more requests with no answer`] : []),
    ...skus.filter((sku) => after.get(sku) !== before.get(sku)).map((sku) => `${sku}: events appended by the fuzz (v${before.get(sku)} → v${after.get(sku)})`),
  ];
  return { check: `fuzz: ${result.total.toLocaleString('en-US')} malformed requests, no 5xx, nothing appended`, checked: result.total, violations };
}

async function versions(system: TortureSystem, skus: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const sku of skus) {
    out.set(sku, ((await get(system, `/v1/skus/${sku}?consistent=true`, TORTURE_STOREFRONT_KEY)) as { version: number }).version);
  }
  return out;
}

const percent = (share: number) => `${(share * 100).toFixed(3)}%`;

function report(schedule: Schedule, ledger: Ledger, system: TortureSystem, checks: Check[], summary: TortureSummary): void {
  const byKind = new Map<string, Map<string, number>>();
  schedule.ops.forEach((op, i) => {
    const status = ledger.answers[i] ? String(ledger.answers[i].status) : 'skipped';
    const kind = op.kind === 'complete' || op.kind === 'cancel' ? `${op.kind}${op.atExpiryOffsetMs === null ? '' : ' at TTL'}` : op.kind;
    const counts = byKind.get(kind) ?? new Map<string, number>();
    counts.set(status, (counts.get(status) ?? 0) + 1);
    byKind.set(kind, counts);
  });
  const statuses = [...new Set([...byKind.values()].flatMap((m) => [...m.keys()]))].sort();
  printTable('Operations by answer', [...byKind].map(([kind, counts]) => ({ operation: kind, ...Object.fromEntries(statuses.map((s) => [s, counts.get(s) ?? 0])) })));
  printTable('Faults', system.log.map((line) => ({ when: line.slice(0, 24), fault: line.slice(25) })));
  printTable('Requests (every attempt)', [
    {
      requests: summary.requests,
      '5xx (violations)': summary.serverErrors,
      '503 overloaded': summary.overloaded503,
      'unanswered in faults': summary.unansweredInFaults,
      'unanswered otherwise': summary.unansweredOutsideFaults,
      'answered without 5xx': percent(summary.answeredWithout5xx),
    },
  ]);
  const honest = summary.honestAvailability;
  printTable(`Honest availability (operations with a definitive answer within ${honest.boundMs / 1000} s of their first request, retries included)`, [
    ['all operations', honest.overall] as const,
    ['overlapping a fault', honest.duringFaults] as const,
    ['outside faults', honest.outsideFaults] as const,
    ...Object.entries(honest.byFault).map(([kind, part]) => [`  overlapping ${kind}`, part] as const),
  ].map(([operations, p]) => ({ operations, count: p.attempts, available: p.available, late: p.late, unanswered: p.unanswered, availability: percent(p.availability), 'p50 ms': p.p50Ms, 'p99 ms': p.p99Ms, 'max ms': p.maxMs })));
  for (const line of ledger.tally.unansweredOutsideFaults.slice(0, 5)) console.log(`  unanswered outside a fault: ${line}`);
  printTable('Warehouses (allocated at the end; failovers away from and to their sites)', summary.warehouses);
  printTable('Checks', checks.map((c) => ({ check: c.check, checked: c.checked, violations: c.violations.length, result: c.violations.length ? 'FAIL' : 'ok' })));
  for (const c of checks.filter((x) => x.violations.length)) {
    console.log(`\n${c.check}:`);
    for (const v of c.violations.slice(0, 10)) console.log(`  ${v}`);
    if (c.violations.length > 10) console.log(`  … and ${c.violations.length - 10} more`);
  }
}
