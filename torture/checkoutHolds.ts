import pLimit from 'p-limit';
import { streamCheckout } from '../src/domain/core/vectorClock';
import { get, type Check, type Folded } from './checks';
import type { Ledger } from './execute';
import type { Schedule } from './schedule';
import { pause, TORTURE_STOREFRONT_KEY, type TortureSystem } from './system';

/** A reservation a checkout caused, as its SKU's log tells it (times in epoch ms). */
export type Hold = { sku: string; reservationId: string; releasedAt: number | null; releaseReason: string | null; completedAt: number | null };

/** A checkout's end as the client saw it: the status, and the first time it was told so. */
export type Ended = { status: 'failed' | 'cancelled' | 'completed' | 'reserved'; at: number };

const AT_REST = new Set(['reserved', 'failed', 'completed', 'cancelled']);
/** A checkout step that failed is resumed by the alarm 2 s later: this is many resumptions. */
const SETTLE_MS = 30_000;

/**
 * Every reservation the SKU logs attribute to each checkout: a StockReserved whose causedBy names
 * the checkout's stream, whether or not the checkout ever recorded its id (a reserve whose answer
 * was lost is exactly the one it did not).
 */
export function holdsByCheckout(folded: readonly Folded[]): Map<string, Hold[]> {
  const out = new Map<string, Hold[]>();
  for (const { sku, log } of folded) {
    const byId = new Map<string, Hold>();
    for (const e of log) {
      if (e.type === 'StockReserved') {
        const checkoutId = Object.keys(e.causedBy).map(streamCheckout).find((id) => id !== null);
        if (!checkoutId) continue;
        const hold: Hold = { sku, reservationId: e.data.reservationId, releasedAt: null, releaseReason: null, completedAt: null };
        byId.set(hold.reservationId, hold);
        out.set(checkoutId, [...(out.get(checkoutId) ?? []), hold]);
      }
      const hold = 'reservationId' in e.data ? byId.get(e.data.reservationId) : undefined;
      if (hold && e.type === 'StockReleased' && hold.releasedAt === null) Object.assign(hold, { releasedAt: Date.parse(e.at), releaseReason: e.data.reason });
      if (hold && e.type === 'ReservationCompleted') hold.completedAt = Date.parse(e.at);
    }
  }
  return out;
}

/**
 * One checkout against its SKUs' logs. Failed or cancelled: nothing it reserved may still be held
 * at the moment the client was told so (a hold released later, by its TTL, was held by a checkout
 * that said it held nothing). Any end: at most one reservation per SKU, and every id it recorded
 * is one its SKU attributes to it.
 */
export function judgeCheckout(id: string, ended: Ended, holds: readonly Hold[], recorded: readonly string[]): string[] {
  const violations: string[] = [];
  const perSku = new Map<string, number>();
  for (const h of holds) perSku.set(h.sku, (perSku.get(h.sku) ?? 0) + 1);
  for (const [sku, n] of perSku) if (n > 1) violations.push(`checkout ${id}: ${n} reservations of ${sku}`);
  const known = new Set(holds.map((h) => h.reservationId));
  for (const r of recorded) if (!known.has(r)) violations.push(`checkout ${id} records ${r}, which no SKU log attributes to it`);
  const when = new Date(ended.at).toISOString();
  for (const h of holds) {
    if (ended.status === 'failed' || ended.status === 'cancelled') {
      if (h.completedAt !== null) violations.push(`checkout ${id} ${ended.status} at ${when}, yet ${h.sku} ${h.reservationId} was bought`);
      else if (h.releasedAt === null) violations.push(`checkout ${id} ${ended.status} at ${when} still holds ${h.sku} ${h.reservationId}`);
      else if (h.releasedAt > ended.at) {
        violations.push(`checkout ${id} ${ended.status} at ${when} held ${h.sku} ${h.reservationId} until ${new Date(h.releasedAt).toISOString()} (${h.releaseReason})`);
      }
    }
  }
  return violations;
}

/** When the client was first told the checkout failed or was cancelled, from the run's answers. */
function endsSeen(schedule: Schedule, ledger: Ledger): Map<string, Ended> {
  const ends = new Map<string, Ended>();
  const see = (id: string, end: Ended) => {
    const known = ends.get(id);
    if (!known || end.at < known.at) ends.set(id, end);
  };
  schedule.ops.forEach((op, i) => {
    const answer = ledger.answers[i];
    if (!answer) return;
    if (op.kind === 'checkout' && answer.status === 409 && answer.body?.error?.code === 'checkout_refused') see(answer.body.error.details.checkoutId, { status: 'failed', at: answer.at });
    if (op.kind === 'checkoutChange' && answer.status === 200 && answer.body?.status === 'cancelled') see(answer.body.checkoutId, { status: 'cancelled', at: answer.at });
  });
  return ends;
}

/** The coordinator's view once it is at rest (failed steps resume by alarm); null if it never got there. */
async function atRest(system: TortureSystem, id: string, customerId: string): Promise<{ view: any; at: number } | null> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const view = await get(system, `/v1/checkouts/${id}?customerId=${customerId}`, TORTURE_STOREFRONT_KEY);
    const at = Date.now();
    if (AT_REST.has(view.status)) return { view, at };
    if (at > deadline) return null;
    await pause(1_000);
  }
}

/**
 * Checked right after the operations, before the TTLs and sagas settle: a checkout that failed or
 * was cancelled holds nothing, by what the SKU logs say, from the moment the buyer was told so.
 * After every TTL has passed, a hold it left behind is released too (expired), which is why this
 * cannot wait for the end of the run.
 */
export async function checkoutHolds(system: TortureSystem, schedule: Schedule, ledger: Ledger, folded: readonly Folded[]): Promise<Check> {
  const holds = holdsByCheckout(folded);
  const seen = endsSeen(schedule, ledger);
  const checkouts = new Map<string, string>();
  schedule.ops.forEach((op, i) => {
    const body = ledger.answers[i]?.body;
    const id = body?.checkoutId ?? body?.error?.details?.checkoutId;
    if (op.kind === 'checkout' && id) checkouts.set(id, op.customerId);
  });
  const limit = pLimit(8);
  const violations = (
    await Promise.all(
      [...checkouts].map(([id, customerId]) =>
        limit(async () => {
          const rest = await atRest(system, id, customerId);
          if (!rest) return [`checkout ${id} not at rest ${SETTLE_MS / 1000} s after the operations`];
          const end = seen.get(id) ?? { status: rest.view.status, at: rest.at };
          const recorded = rest.view.lines.flatMap((l: { reservationId: string | null }) => (l.reservationId ? [l.reservationId] : []));
          return judgeCheckout(id, end, holds.get(id) ?? [], recorded);
        }),
      ),
    )
  ).flat();
  return { check: 'checkouts right after the operations: failed or cancelled hold nothing (by the SKU logs)', checked: checkouts.size, violations };
}
