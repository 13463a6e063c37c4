import { decodeSkuEvent } from '../bridge/consumers/decodeEvent';
import type { ConsumedRecord } from '../bridge/eventLog/port';
import { byReservation, currentRecord } from '../bridge/cli/reconcile/compare';
import type { WmsRecord } from '../bridge/wms/client';
import { evolve, foldLedger, initialSkuState, type Reservation, type SkuEvent } from '../src/domain/sku';
import type { Check, Folded } from './checkTypes';
import { sagaTrail, type SagaHistory } from './groupChecks';
import type { Ledger } from './execute';
import type { Schedule } from './schedule';
import { ALLOCATION_DEADLINE_SECONDS, pause, TORTURE_ADMIN_KEY, TORTURE_BRIDGE_ADMIN_KEY, TORTURE_STOREFRONT_KEY, type TortureSystem } from './system';

export type { Check, Folded };

/** A read for the checks; a kept-alive socket closed under it (a client race, not an answer) is retried. */
export async function get(system: TortureSystem, path: string, key = TORTURE_ADMIN_KEY): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${system.edgeUrl}${path}`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      if (attempt >= 5) throw error;
      await pause(200 * attempt);
      continue;
    }
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }
}

export async function objectLog(system: TortureSystem, sku: string): Promise<SkuEvent[]> {
  const events: SkuEvent[] = [];
  for (let after = 0; ; ) {
    const page = await get(system, `/v1/admin/skus/${sku}/events?after=${after}&limit=1000`);
    events.push(...page.events);
    if (page.nextAfter === null) return events;
    after = page.nextAfter;
  }
}

export async function foldAll(system: TortureSystem, schedule: Schedule): Promise<Folded[]> {
  return Promise.all(
    schedule.skus.map(async ({ sku }) => {
      const log = await objectLog(system, sku);
      const { state, reservations } = foldLedger(log);
      return { sku, log, state, reservations };
    }),
  );
}

export type Settled = { folded: Folded[]; open: number; settledAfterMs: number | null };

/**
 * Waits until no reservation is held past its TTL, every one is allocated, released or bought,
 * and the WMS holds exactly what the objects consider allocated: a release's cancel reaches the
 * warehouse through the relay, Kafka and a saga, after the object has moved on; `alsoOpen` counts
 * what else must close (the warehouse's documents reaching the edge). A backlog draining
 * is not a stuck system: once every TTL has passed (`ttlsPassMs`), the wait goes on as long as the
 * number of open items keeps falling, and gives up when it has not fallen for `stallMs`, or at
 * `capMs`. What is still open then is what the stuck and reconcile checks report; how long
 * settling took is reported with the run.
 */
export async function waitUntilSettled(
  system: TortureSystem,
  schedule: Schedule,
  { ttlsPassMs, stallMs, capMs, alsoOpen }: { ttlsPassMs: number; stallMs: number; capMs: number; alsoOpen?: (folded: Folded[]) => Promise<number> },
): Promise<Settled> {
  const started = Date.now();
  let best = Number.POSITIVE_INFINITY;
  let progressAt = started;
  for (;;) {
    const folded = await foldAll(system, schedule);
    const held = folded.flatMap((f) => [...f.reservations.values()].filter(unsettled)).length;
    let open = held + (held === 0 ? (await warehouseDifferences(system, folded)).length : 0);
    if (open === 0 && alsoOpen) open = await alsoOpen(folded);
    const now = Date.now();
    if (open === 0) return { folded, open, settledAfterMs: now - started };
    if (open < best) [best, progressAt] = [open, now];
    const stalled = now - started > ttlsPassMs && now - progressAt > stallMs;
    if (stalled || now - started > capMs) return { folded, open, settledAfterMs: null };
    await pause(2_000);
  }
}

const unsettled = (r: Reservation) => r.status === 'held' || (r.status !== 'released' && r.allocation === 'pending');

/**
 * reserved + sold ≤ onHand at every version of every SKU. A SKU the warehouse feeds may be short
 * inside a shortfall decision (stock the warehouse took away): `locationsNeverOversold` checks it,
 * location by location, with that exception.
 */
export function noOversell(folded: Folded[]): Check {
  const violations: string[] = [];
  let checked = 0;
  for (const { sku, log } of folded) {
    if (log.some((e) => e.type === 'StockMoved')) continue;
    let state = initialSkuState();
    for (const event of log) {
      state = evolve(state, event);
      checked++;
      if (state.reserved + state.sold > state.onHand) violations.push(`${sku} v${state.version}: reserved ${state.reserved} + sold ${state.sold} > onHand ${state.onHand}`);
      if (state.reserved < 0 || state.sold < 0) violations.push(`${sku} v${state.version}: negative counters`);
    }
    if (log.some((e, i) => e.version !== i + 1)) violations.push(`${sku}: versions are not 1..${log.length}`);
  }
  return { check: 'no oversell at any version; versions 1..n (SKUs not fed)', checked, violations };
}

/** The object's own counters equal the fold of its log, and units are conserved. */
export async function conservation(system: TortureSystem, folded: Folded[], schedule: Schedule, ledger: Ledger): Promise<Check> {
  const violations: string[] = [];
  for (const { sku, state, reservations, log } of folded) {
    const counters = await get(system, `/v1/skus/${sku}?consistent=true`, TORTURE_STOREFRONT_KEY);
    const held = [...reservations.values()].filter((r) => r.status === 'held').reduce((n, r) => n + r.qty, 0);
    const bought = [...reservations.values()].filter((r) => r.status === 'completed').reduce((n, r) => n + r.qty, 0);
    const initial = schedule.skus.find((s) => s.sku === sku)!.stock;
    const received = log.filter((e) => e.type === 'StockReceived').reduce((n, e) => n + (e.data).qty, 0);
    // Warehouse documents (a fed SKU's stock): that each is counted once is `feedCountedOnce`'s business.
    const moved = log.filter((e) => e.type === 'StockMoved').reduce((n, e) => n + e.data.delta, 0);
    const ackedReceipts = schedule.ops.reduce((n, op, i) => n + (op.kind === 'receipt' && op.sku === sku && ledger.answers[i]?.status === 200 ? op.qty : 0), 0);
    if (counters.onHand !== state.onHand || counters.reserved !== state.reserved || counters.sold !== state.sold) {
      violations.push(`${sku}: object says ${JSON.stringify(counters)}, its log folds to onHand ${state.onHand} reserved ${state.reserved} sold ${state.sold}`);
    }
    if (state.reserved !== held || state.sold !== bought) violations.push(`${sku}: reserved ${state.reserved} ≠ held ${held} or sold ${state.sold} ≠ bought ${bought}`);
    if (state.onHand !== initial + received + moved) violations.push(`${sku}: onHand ${state.onHand} ≠ stock ${initial} + received ${received} + moved ${moved}`);
    // Receipts are idempotent by key: every acknowledged one is in the log, none twice.
    if (received !== ackedReceipts) violations.push(`${sku}: received ${received} units, acknowledged receipts ${ackedReceipts}`);
  }
  return { check: 'conservation: counters = fold of the log; onHand = stock + receipts + warehouse moves', checked: folded.length, violations };
}


/** Every acknowledged write is in the log exactly once, with what the buyer was told. */
export function acknowledgedWrites(folded: Folded[], schedule: Schedule, ledger: Ledger): Check {
  const violations: string[] = [];
  const reservedEvents = new Map<string, SkuEvent[]>();
  for (const { log } of folded) {
    for (const e of log) if (e.type === 'StockReserved') reservedEvents.set(e.data.reservationId, [...(reservedEvents.get(e.data.reservationId) ?? []), e]);
  }
  const reservationOf = (id: string) => folded.map((f) => f.reservations.get(id)).find(Boolean);
  const completedIds = new Set(folded.flatMap((f) => f.log.filter((e) => e.type === 'ReservationCompleted').map((e) => (e.data as { reservationId: string }).reservationId)));
  let checked = 0;
  schedule.ops.forEach((op, i) => {
    const answer = ledger.answers[i];
    if (!answer) return;
    if (op.kind === 'reserve' && answer.status === 201) {
      checked++;
      const found = reservedEvents.get(answer.body.reservationId) ?? [];
      if (found.length !== 1) violations.push(`op ${i}: reservation ${answer.body.reservationId} appears ${found.length} times`);
      else if (found[0]!.sku !== (op).sku || (found[0]!.data as { qty: number }).qty !== op.qty) violations.push(`op ${i}: logged reservation differs from the request`);
    }
    if (op.kind === 'complete' && answer.status === 200) {
      checked++;
      // Bought stays bought in the log; only the WMS refusing it releases it, for a refund, recorded
      // as such (its silence never does: ADR 0002).
      const r = reservationOf(answer.body.reservationId);
      if (!completedIds.has(answer.body.reservationId)) violations.push(`op ${i}: complete acknowledged but not in the log`);
      else if (r?.status === 'released' && !(r.refundDue && r.releaseReason === 'wms_rejected')) {
        violations.push(`op ${i}: bought, then released as ${r.releaseReason} without a refund due`);
      }
    }
    if (op.kind === 'cancel' && answer.status === 200) {
      checked++;
      const r = reservationOf(answer.body.reservationId);
      if (r?.status !== 'released') violations.push(`op ${i}: cancel acknowledged but the reservation is ${r?.status ?? 'missing'}`);
    }
    if (op.kind === 'complete' && answer.status === 409 && ['reservation_expired', 'reservation_released'].includes(answer.body?.error?.code)) {
      const r = reservationOf((ledger.answers[op.of]!.body as { reservationId: string }).reservationId);
      if (r?.status !== 'released') violations.push(`op ${i}: complete refused as ${answer.body.error.code} but the reservation is ${r?.status}`);
    }
    // A 5xx, even one a retry got past, is the tally's violation; here, an operation never answered at all.
    if (answer.status === 0) violations.push(`op ${i} (${op.kind}): no answer after ${answer.attempts} attempts: ${JSON.stringify(answer.body).slice(0, 200)}`);
  });
  return { check: 'acknowledged writes in the log exactly once', checked, violations };
}

/** At the TTL boundary: never bought after its expiry, never expired before it. */
export function ttlBoundaries(folded: Folded[]): Check {
  const violations: string[] = [];
  let checked = 0;
  for (const { sku, log } of folded) {
    const expiresAt = new Map<string, number>();
    for (const e of log) {
      if (e.type === 'StockReserved') expiresAt.set(e.data.reservationId, Date.parse(e.data.expiresAt));
      if (e.type === 'ReservationCompleted' && Date.parse(e.at) >= expiresAt.get(e.data.reservationId)!) violations.push(`${sku} v${e.version}: completed at ${e.at}, after its expiry`);
      if (e.type === 'StockReleased' && e.data.reason === 'expired') {
        checked++;
        if (Date.parse(e.at) < expiresAt.get(e.data.reservationId)!) violations.push(`${sku} v${e.version}: expired at ${e.at}, before its TTL`);
      }
    }
  }
  return { check: 'TTL boundaries: no purchase after expiry, no expiry before it', checked, violations };
}

/**
 * None held past TTL + saga deadline; every one released, bought, or allocated. A violation names
 * where its saga stands (the first few, from the bridge) and how many are stuck per SKU, so that a
 * stalled consumer partition is told from a saga that lost its way.
 */
export async function nothingStuck(system: TortureSystem, folded: Folded[]): Promise<Check> {
  const all = folded.flatMap((f) => [...f.reservations.values()].map((r) => ({ sku: f.sku, r })));
  const stuck = all.filter(({ r }) => unsettled(r));
  const perSku = new Map<string, number>();
  for (const { sku } of stuck) perSku.set(sku, (perSku.get(sku) ?? 0) + 1);
  const described = await Promise.all(
    stuck.map(async ({ sku, r }, i) => `${sku} ${r.reservationId}: ${r.status}/${r.allocation}, expires ${r.expiresAt}${i < 20 ? `; saga ${await sagaOf(system, r.reservationId)}` : ''}`),
  );
  if (described.length > 0) described[0] += ` [stuck per SKU: ${[...perSku].map(([sku, n]) => `${sku} ${n}`).join(', ')}]`;
  return { check: `no reservation stuck past TTL + ${ALLOCATION_DEADLINE_SECONDS} s saga deadline`, checked: all.length, violations: described };
}

async function sagaOf(system: TortureSystem, reservationId: string, withNotes = false): Promise<string> {
  const res = await fetch(`${system.bridge.adminUrl}/admin/sagas/${reservationId}`, { headers: { authorization: `Bearer ${TORTURE_BRIDGE_ADMIN_KEY}` } });
  if (!res.ok) return `not found (${res.status})`;
  const saga = (await res.json()) as { phase: string; completed: boolean; attempts: number; nextAttemptAt: number | null; lastError: string | null; reference?: string | null; leftBehind?: unknown[]; notes?: { note: string }[] };
  const state = `${saga.phase}${saga.completed ? ' (completed)' : ''}, attempts ${saga.attempts}, next ${saga.nextAttemptAt === null ? 'none' : new Date(saga.nextAttemptAt).toISOString()}, last error ${saga.lastError ?? 'none'}`;
  if (!withNotes) return state;
  return `${state}, reference ${saga.reference ?? 'none'}, left behind ${JSON.stringify(saga.leftBehind ?? [])}, notes ${JSON.stringify((saga.notes ?? []).slice(-6).map((n) => n.note))}`;
}

/** Both warehouses hold exactly what the objects consider allocated, each at the sites it serves (reconcile: zero differences). */
export async function reconcile(system: TortureSystem, folded: Folded[], history: SagaHistory): Promise<Check> {
  const checked = folded.reduce((n, f) => n + f.reservations.size, 0);
  const differences = await warehouseDifferences(system, folded);
  // The first few with their saga's state now and every state it had: what the run's logs alone do not tell.
  const violations = await Promise.all(differences.map(async (d, i) => {
    const id = i < 5 ? /res_[0-9a-z]+/.exec(d)?.[0] : undefined;
    return id ? `${d}; saga ${await sagaOf(system, id, true)}; its states ${sagaTrail(history, id)}` : d;
  }));
  return { check: 'reconcile: allocations at both warehouses = allocated units', checked, violations };
}

async function warehouseDifferences(system: TortureSystem, folded: Folded[]): Promise<string[]> {
  const heldBy = new Map<WmsRecord, string>();
  for (const site of system.warehouses.all) for (const record of await (await site.client()).list(10_000)) heldBy.set(record, site.warehouse);
  return wmsDifferences(heldBy, (location) => system.warehouses.at(location).warehouse, folded);
}

/**
 * Each reservation's record is the one under its current reference (ADR 0015), at the warehouse
 * serving its location; every other record of it holds nothing.
 */
function wmsDifferences(heldBy: ReadonlyMap<WmsRecord, string>, servedBy: (location: string | null) => string, folded: Folded[]): string[] {
  const records = byReservation([...heldBy.keys()]);
  const differences: string[] = [];
  for (const { sku, reservations } of folded) {
    for (const r of reservations.values()) {
      const all = records.get(r.reservationId) ?? [];
      // A reference is each warehouse's own, but a cancel that found nothing leaves a tombstone: the one that holds first.
      const record = currentRecord(r.reservationId, r, [...all].sort((a, b) => Number(b.status === 'allocated') - Number(a.status === 'allocated')));
      // Units still held at a location the reservation left.
      for (const left of all) if (left !== record && left.status === 'allocated') differences.push(`${sku} ${r.reservationId}: still allocated as ${left.reservationId} at ${heldBy.get(left)}`);
      const heldThere = record?.status === 'allocated';
      const allocatedHere = r.status !== 'released' && r.allocation === 'allocated';
      if (heldThere !== allocatedHere) differences.push(`${sku} ${r.reservationId}: object ${r.status}/${r.allocation} at ${r.location}, WMS ${record?.status ?? 'none'}${record ? ` at ${heldBy.get(record)}` : ''}`);
      else if (allocatedHere && (record!.qty !== r.qty || record!.allocationId !== r.allocationId)) differences.push(`${sku} ${r.reservationId}: WMS record differs`);
      else if (allocatedHere && heldBy.get(record!) !== servedBy(r.location)) differences.push(`${sku} ${r.reservationId}: allocated at ${r.location} (${servedBy(r.location)}), held at ${heldBy.get(record!)}`);
    }
  }
  return differences;
}

/** Kafka after dedupe by (sku, version) holds exactly the objects' logs. */
export function kafkaEqualsLogs(records: readonly ConsumedRecord[], folded: Folded[]): Check {
  const deduped = new Map<string, SkuEvent>();
  for (const record of records) {
    const event = decodeSkuEvent(record);
    if (event) deduped.set(`${event.sku}\n${event.version}`, event);
  }
  const violations: string[] = [];
  let checked = 0;
  for (const { sku, log: events } of folded) {
    for (const e of events) {
      checked++;
      const relayed = deduped.get(`${sku}\n${e.version}`);
      if (!relayed) violations.push(`${sku} v${e.version} missing from Kafka`);
      else if (JSON.stringify(relayed) !== JSON.stringify(e)) violations.push(`${sku} v${e.version} differs in Kafka`);
    }
  }
  const extra = deduped.size - checked;
  if (extra > 0) violations.push(`${extra} events in Kafka that no object logged`);
  return { check: `Kafka = objects' logs after dedupe (${records.length} records)`, checked, violations };
}

/**
 * The live read model at the end equals every object's state. Live writes have long overwritten
 * what the mid-run rebuild wrote: the rebuild itself is checked by `rebuildIsolated`.
 */
export async function projectionsEqual(system: TortureSystem, folded: Folded[]): Promise<Check> {
  const fields = ['onHand', 'reserved', 'sold', 'available', 'version'] as const;
  const differing = async () => {
    const out: string[] = [];
    for (const { sku } of folded) {
      const [view, primary] = await Promise.all([get(system, `/v1/skus/${sku}`, TORTURE_STOREFRONT_KEY), get(system, `/v1/skus/${sku}?consistent=true`, TORTURE_STOREFRONT_KEY)]);
      if (view.source !== 'projection' || fields.some((f) => view[f] !== primary[f])) out.push(`${sku}: view ${JSON.stringify(view)} vs object ${JSON.stringify(primary)}`);
    }
    return out;
  };
  // Views are written at most once a second per key: give the last writes time to land.
  let violations = await differing();
  for (let i = 0; i < 20 && violations.length; i++) {
    await pause(1_000);
    violations = await differing();
  }
  return { check: 'read model (live, at the end) = objects', checked: folded.length, violations };
}

/**
 * Every checkout's answers agree with its end state. What a failed or cancelled one still holds is
 * `checkoutHolds`' business, checked before the TTLs could hide it.
 */
export async function checkoutsWhole(system: TortureSystem, schedule: Schedule, ledger: Ledger): Promise<Check> {
  const violations: string[] = [];
  let checked = 0;
  for (const [i, op] of schedule.ops.entries()) {
    const answer = ledger.answers[i];
    const id = answer?.body?.checkoutId ?? answer?.body?.error?.details?.checkoutId;
    if (op.kind !== 'checkout' || !id) continue;
    checked++;
    const c = await get(system, `/v1/checkouts/${id}?customerId=${op.customerId}`, TORTURE_STOREFRONT_KEY);
    if (answer!.status === 201 && answer!.body.lines.some((l: any) => l.state !== 'held')) violations.push(`checkout ${id} answered 201 with a line not held`);
    if (answer!.status === 409 && c.status !== 'failed') violations.push(`checkout ${id} refused but ended ${c.status}`);
  }
  return { check: 'checkouts: answers agree with the end state', checked, violations };
}
