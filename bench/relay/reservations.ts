import { pool } from '../../test/e2e/support/system';
import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, edgeCall, type RunningEdge } from '../lib/edge';
import { PARAMS, SKUS } from './params';

/** The load on the Worker: the SKUs' stock, then reservations of one unit each. */
export async function createSkus(edge: RunningEdge): Promise<void> {
  // Stock for every reservation of both phases, so each one commits exactly one StockReserved.
  const onHand = Math.ceil((PARAMS.events + PARAMS.catchUpEvents) / PARAMS.skus) + 10;
  for (const sku of SKUS) {
    const { status, json } = await edgeCall(edge.url, 'PUT', `/v1/admin/skus/${sku}/stock`, BENCH_ADMIN_KEY, { onHand });
    if (status !== 200) throw new Error(`stock of ${sku}: ${status} ${JSON.stringify(json)}`);
  }
}

// Not edgeCall: each reservation needs its own idempotency key, and only its status matters.
function reserve(edge: RunningEdge, i: number): Promise<number> {
  return fetch(`${edge.url}/v1/skus/${SKUS[i % SKUS.length]}/reservations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BENCH_STOREFRONT_KEY}`, 'content-type': 'application/json', 'idempotency-key': `relay-${i}` },
    body: JSON.stringify({ customerId: `customer-${i}`, qty: 1 }),
  }).then(async (response) => {
    await response.body?.cancel();
    return response.status;
  });
}

/**
 * Reservations number `first` to `first + count - 1`: the numbers make the idempotency keys and
 * customers, so the phases must not overlap, or a reservation would be a replay and commit nothing.
 */
export async function reserveAll(edge: RunningEdge, first: number, count: number): Promise<void> {
  const statuses = await pool(
    Array.from({ length: count }, (_, i) => () => reserve(edge, first + i)),
    PARAMS.concurrency,
  );
  const refused = statuses.filter((s) => s !== 201).length;
  if (refused > 0) throw new Error(`${refused} reservation(s) not answered 201: ${JSON.stringify(countBy(statuses))}`);
}

const countBy = (values: readonly number[]) => values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});
