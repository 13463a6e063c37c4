import type { Context } from 'hono';
import { z } from 'zod';
import { workerConfig } from '../config';
import type { Outcome } from '../contract/outcome';
import { knownShards } from '../contract/routing';
import { streamsOf } from '../domain/sku';
import { SoldOutMemory } from './soldOut';

/**
 * The edge's sold-out answers (ADR 0020): this isolate's memory of the objects' refusals, shared
 * with the other isolates of the location through the Cache API under a synthetic URL per SKU.
 * A cached entry carries when the sold-out was decided, so reading it never extends the window.
 */

/** Never fetched: only a key in the location's cache. */
const CACHE_ORIGIN = 'https://sold-out.inventory.invalid/';
export const soldOutCacheKey = (sku: string) => new Request(CACHE_ORIGIN + encodeURIComponent(sku));
/** The Cache API counts in whole seconds; the entry's own time is what bounds its use. */
const CACHE_MAX_AGE_S = 1;
const CachedSchema = z.object({ at: z.number() });

/** One memory per window (tests vary it per env); an isolate in production has one. */
const memories = new Map<number, SoldOutMemory>();
/** SKU → when this isolate last looked in the cache: at most once per window per SKU. */
const looked = new Map<string, number>();
const MAX_LOOKS_KEPT = 10_000;

function markLooked(sku: string, now: number): void {
  looked.delete(sku);
  if (looked.size >= MAX_LOOKS_KEPT) looked.delete(looked.keys().next().value!);
  looked.set(sku, now);
}

function memoryOf(windowMs: number): SoldOutMemory {
  let memory = memories.get(windowMs);
  if (!memory) memories.set(windowMs, (memory = new SoldOutMemory(windowMs)));
  return memory;
}

/** `Cache-Control: no-cache` asks for the object's own answer: the storefront client's retries send it. */
export const wantsObjectAnswer = (cacheControl: string | undefined): boolean => /(^|,)\s*no-cache\s*(,|$)/i.test(cacheControl ?? '');

/**
 * Whether a reserve of `sku` is refused at the edge: the memory says every shard is out within the
 * window, or (once per window, when it does not) another isolate's cached word does.
 */
export async function soldOutAtEdgeNow(sku: string, windowMs: number, now: number): Promise<boolean> {
  const memory = memoryOf(windowMs);
  if (memory.soldOutSince(sku, knownShards(sku), now) !== null) return true;
  const last = looked.get(sku);
  if (last !== undefined && now - last <= windowMs) return false;
  markLooked(sku, now);
  const cached = await caches.default.match(soldOutCacheKey(sku));
  const parsed = cached ? CachedSchema.safeParse(await cached.json().catch(() => null)) : null;
  if (!parsed?.success) return false;
  memory.sawSkuSoldOut(sku, parsed.data.at);
  return memory.soldOutSince(sku, knownShards(sku), now) !== null;
}

/**
 * What an object's answer to a reserve of `qty` sent at `sentAt` to `stream` teaches: a refusal with
 * nothing available marks the stream out, or the whole SKU for one unit (and, when that makes the
 * whole SKU out, tells the location's cache); a reservation means units are there. Returns the cache write to wait for, if any.
 */
export function learnFromReserve<T>(sku: string, stream: string, sentAt: number, outcome: Outcome<T>, windowMs: number, now: number, qty: number): Promise<unknown> | null {
  // A replayed answer is as old as its first request: it says nothing about now.
  if (outcome.replayed) return null;
  const memory = memoryOf(windowMs);
  const shards = knownShards(sku);
  if (outcome.ok) {
    memory.forget(sku, streamsOf(sku, shards));
    return null;
  }
  if (outcome.error.code !== 'insufficient_stock' || outcome.error.available !== 0) return null;
  const before = memory.soldOutSince(sku, shards, now);
  // A shard refuses one unit only when no sibling had one to lend (durable-objects/sku/borrowing.ts): the SKU is out.
  memory.refused(stream, sentAt, shards > 1 && qty === 1 ? { sku } : undefined);
  const since = memory.soldOutSince(sku, shards, now);
  if (before !== null || since === null) return null;
  const entry = new Response(JSON.stringify({ at: since }), { headers: { 'content-type': 'application/json', 'cache-control': `max-age=${CACHE_MAX_AGE_S}` } });
  return caches.default.put(soldOutCacheKey(sku), entry);
}

/**
 * Units came back through this isolate (a cancel, a receipt, new stock): its buyers go to the
 * object again, and so do the location's once the cache entry is gone (a rare write: grants do not
 * delete it, they only clear this isolate's memory). Returns the cache delete to wait for.
 */
export function forgetSoldOut(sku: string, windowMs: number, now: number): Promise<unknown> {
  memoryOf(windowMs).forget(sku, streamsOf(sku, knownShards(sku)));
  markLooked(sku, now);
  return caches.default.delete(soldOutCacheKey(sku));
}

/** After a command that returns units (`ok` only): the edge stops refusing the SKU from memory. */
export function afterUnitsBack<T>(c: Pick<Context, 'env' | 'executionCtx'>, sku: string, outcome: Outcome<T>): Outcome<T> {
  const windowMs = workerConfig(c.env as Parameters<typeof workerConfig>[0]).SOLD_OUT_EDGE_MS;
  if (outcome.ok && windowMs > 0) c.executionCtx.waitUntil(forgetSoldOut(sku, windowMs, Date.now()));
  return outcome;
}
