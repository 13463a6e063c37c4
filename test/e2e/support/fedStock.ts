import type { WmsClient } from '../../../bridge/wms/client';
import type { Movement, MovementRequest, StockLevel } from '../../../bridge/wms/movements';
import { signatureHeaders } from '../../../src/contract/signature';
import type { SkuEvent } from '../../../src/domain/sku';
import { waitFor } from './system';

/**
 * The moves of the warehouse-fed specs (the e2e spec and the torture run): the warehouse's
 * documents posted to the simulator's admin API, its movements and levels read despite its
 * faults, a movement delivered to the edge as the bridge's feed does (signed), a SKU's log
 * read from the admin events route, and the wait until the edge has every document.
 */

/** `POST /admin/movements` on the simulator: 201 recorded, 200 the same document again. */
export async function postMovement(wmsUrl: string, adminKey: string, movement: MovementRequest): Promise<{ status: number; movement: Movement }> {
  const res = await fetch(`${wmsUrl}/admin/movements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(movement),
  });
  const body = (await res.json()) as Movement;
  if (res.status !== 201 && res.status !== 200) throw new Error(`movement ${movement.document}: ${res.status} ${JSON.stringify(body)}`);
  return { status: res.status, movement: body };
}

/** `PUT /admin/stock/{location}/{sku}`: the opening balance there (not a movement). */
export async function setPhysical(wmsUrl: string, adminKey: string, location: string, sku: string, physical: number): Promise<void> {
  const res = await fetch(`${wmsUrl}/admin/stock/${location}/${sku}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ physical }),
  });
  if (res.status !== 200) throw new Error(`physical stock of ${sku} at ${location}: ${res.status} ${await res.text()}`);
}

/** `PUT /admin/faults`: the warehouse's faults changed (the rest kept). */
export async function setWmsFaults(wmsUrl: string, adminKey: string, faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${wmsUrl}/admin/faults`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!res.ok) throw new Error(`WMS faults not changed: ${res.status} ${await res.text()}`);
}

export const CALM = { timeoutRate: 0, faultRate: 0, duplicateRate: 0, lateRate: 0, outageUntil: 0 };

/** The simulator's faults hit every SOAP operation, reads too: asked again until it answers. */
async function despiteFaults<T>(what: string, call: () => Promise<T>, attempts = 30): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts) throw new Error(`${what}: ${String(error)}`, { cause: error });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Every movement the warehouse recorded, in sequence order (ListMovements, page by page). */
export async function allMovements(wms: WmsClient): Promise<Movement[]> {
  const movements: Movement[] = [];
  for (let after = 0; ; ) {
    const page = await despiteFaults('ListMovements', () => wms.movements(after, 1000, 5_000));
    movements.push(...page.movement);
    if (page.movement.length === 0 || page.next === after) return movements;
    after = page.next;
  }
}

export const stockLevels = (wms: WmsClient): Promise<StockLevel[]> => despiteFaults('GetStockLevels', () => wms.stockLevels(5_000));

/** The body of `POST /internal/skus/{sku}/movements` (MovementCommandSchema of the contract). */
export type MovementCommand = { warehouse: string; document: string; sequence: number; movement: 'receipt' | 'count' | 'damage'; location: string; delta: number; at: string };

/** A warehouse movement as the bridge's feed sends it: one signed internal call. */
export function movementCommand(warehouse: string, m: Movement): MovementCommand {
  if (m.type === 'shipment') throw new Error(`${m.document} is a shipment: the feed never sends one`);
  return { warehouse, document: m.document, sequence: m.sequence, movement: m.type, location: m.location, delta: m.delta, at: m.at };
}

export async function deliverMovement(edgeUrl: string, secret: string, sku: string, command: MovementCommand): Promise<{ status: number; body: any }> {
  const path = `/internal/skus/${encodeURIComponent(sku)}/movements`;
  const body = JSON.stringify(command);
  const headers = await signatureHeaders(secret, { method: 'POST', path, body }, Date.now());
  const res = await fetch(`${edgeUrl}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  const text = await res.text();
  // Not JSON is kept as text, so a check that fails on it says what came.
  return { status: res.status, body: parseOr(text) };
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A SKU's whole log, from the admin events route. */
export async function adminLog(edgeUrl: string, adminKey: string, sku: string): Promise<SkuEvent[]> {
  const events: SkuEvent[] = [];
  for (let after = 0; ; ) {
    const res = await fetch(`${edgeUrl}/v1/admin/skus/${sku}/events?after=${after}&limit=1000`, { headers: { authorization: `Bearer ${adminKey}` } });
    if (!res.ok) throw new Error(`events of ${sku}: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { events: SkuEvent[]; nextAfter: number | null };
    events.push(...page.events);
    if (page.nextAfter === null) return events;
    after = page.nextAfter;
  }
}

/** The whole logs of `skus`, by SKU. */
export async function adminLogs(edgeUrl: string, adminKey: string, skus: readonly string[]): Promise<Map<string, SkuEvent[]>> {
  return new Map(await Promise.all(skus.map(async (sku) => [sku, await adminLog(edgeUrl, adminKey, sku)] as const)));
}

/** Documents the warehouse recorded (receipts, counts, damages of these SKUs) that no StockMoved cites yet. */
export function unfed(movements: readonly Movement[], logs: ReadonlyMap<string, readonly SkuEvent[]>): Movement[] {
  const cited = new Set<string>();
  for (const log of logs.values()) for (const e of log) if (e.type === 'StockMoved' && e.data.cause.kind === 'warehouse') cited.add(e.data.cause.document);
  return movements.filter((m) => m.type !== 'shipment' && logs.has(m.sku) && !cited.has(m.document));
}

/**
 * Until every receipt, count and damage the warehouses recorded of the SKUs `logs` reads is in a
 * SKU's log. Timed out: the documents left, and `context` (the bridge's output), are printed.
 */
export async function waitFed(
  what: string,
  read: { movements: () => Promise<readonly Movement[]>; logs: () => Promise<ReadonlyMap<string, readonly SkuEvent[]>> },
  { timeoutMs = 120_000, context }: { timeoutMs?: number; context?: () => string } = {},
): Promise<void> {
  let left: string[] = [];
  try {
    await waitFor(what, async () => {
      left = unfed(await read.movements(), await read.logs()).map((m) => `${m.document} #${m.sequence}`);
      return left.length === 0;
    }, timeoutMs, 500);
  } catch (error) {
    console.error(`not fed: ${left.join(', ')}`, context?.() ?? '');
    throw error;
  }
}
