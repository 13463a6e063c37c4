import type { Movement, MovementRequest } from '../bridge/wms/movements';
import { deliverMovement, movementCommand } from '../test/e2e/support/fedStock';
import type { Answer, StorefrontClient } from './client';
import type { Op } from './schedule';
import { pause, TORTURE_SECRET, TORTURE_STOREFRONT_KEY, type TortureSystem } from './system';

/**
 * The torture run's operations on stock the warehouses feed: documents posted to the simulator of
 * the location's warehouse (its admin API, beside the SOAP or OData service its faults hit), a
 * stocktake below what the edge has committed, a document posted twice, and one delivered to the
 * edge again as the feed would.
 */

const answer = (status: number, body: unknown, attempts = 1): Answer => ({ status, body, ambiguous: false, attempts, at: Date.now() });

/** `POST /admin/movements` at the location's warehouse: 201 recorded, 200 the same document again, 409 a damage below zero. */
export async function postDocument(system: TortureSystem, request: MovementRequest & { location: string }): Promise<Answer> {
  const site = system.warehouses.at(request.location);
  const res = await fetch(`${site.url}/admin/movements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${site.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  return answer(res.status, await res.json());
}

type LocationView = { location: string; reserved: number; sold: number; fed?: { sequence: number } | null };
async function locationAt(client: StorefrontClient, sku: string, location: string): Promise<LocationView | null> {
  const seen = await client.send('GET', `/v1/skus/${sku}?consistent=true`, TORTURE_STOREFRONT_KEY);
  if (seen.status !== 200) return null;
  return ((seen.body as { locations?: LocationView[] }).locations ?? []).find((l) => l.location === location) ?? null;
}

/** A stocktake that finds `shortBy` units fewer than the edge has committed at the location now. */
export async function countBelowCommitted(system: TortureSystem, client: StorefrontClient, op: Extract<Op, { kind: 'count' }>): Promise<Answer | null> {
  const here = await locationAt(client, op.sku, op.location);
  if (!here) return null;
  const qty = Math.max(0, here.reserved + here.sold - op.shortBy);
  return postDocument(system, { type: 'count', document: op.document, location: op.location, sku: op.sku, qty });
}

/** The warehouse's answer to a recorded document, as a request again. */
const requestOf = (m: Movement): MovementRequest & { location: string } =>
  m.type === 'shipment' ? { type: 'shipment', document: m.document, reservationId: m.reservationId!, location: m.location } : { type: m.type, document: m.document, location: m.location, sku: m.sku, qty: m.qty };

/** The same document posted again: the warehouse answers 200 and its first result, nothing moved. */
export async function repost(system: TortureSystem, original: Movement, violations: string[]): Promise<Answer> {
  const again = await postDocument(system, requestOf(original));
  if (again.status !== 200 || JSON.stringify(again.body) !== JSON.stringify(original)) {
    violations.push(`feed: ${original.document} posted again answered ${again.status} ${JSON.stringify(again.body).slice(0, 200)}, first ${JSON.stringify(original).slice(0, 200)}`);
  }
  return again;
}

/** How long a document may take to reach the edge: a bridge outage, a takeover after a kill and a broker restart fit in it. */
const FED_WITHIN_MS = 180_000;

/**
 * Once the edge has counted the document (its location's feed is at or past its sequence; never
 * before, which would skip the documents between), it is delivered again, signed as the bridge
 * does: the edge must answer 200, not applied. A document not counted in time is a violation.
 */
export async function redeliver(system: TortureSystem, client: StorefrontClient, m: Movement, violations: string[]): Promise<Answer | null> {
  const deadline = Date.now() + FED_WITHIN_MS;
  for (;;) {
    const here = await locationAt(client, m.sku, m.location);
    if ((here?.fed?.sequence ?? 0) >= m.sequence) break;
    if (Date.now() > deadline) {
      violations.push(`feed: ${m.document} (#${m.sequence}, ${m.sku} at ${m.location}) not counted at the edge ${FED_WITHIN_MS / 1000} s after it was posted`);
      return null;
    }
    await pause(1_000);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const site = system.warehouses.at(m.location);
      const { status, body } = await deliverMovement(system.edgeUrl, TORTURE_SECRET, m.sku, movementCommand(site.warehouse, site.asFed(m)));
      if (status !== 200 || (body as { applied?: unknown } | null)?.applied !== false) {
        violations.push(`feed: ${m.document} (#${m.sequence}) delivered again answered ${status} ${JSON.stringify(body).slice(0, 200)}`);
      }
      return answer(status, body, attempt);
    } catch (error) {
      // The edge runtime restarting on purpose: asked again.
      if (attempt >= 30) throw error;
      await pause(1_000);
    }
  }
}
