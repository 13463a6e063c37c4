import type { Overloaded, Ticket } from '../../durable-objects/sku/admission';
import type { IdempotencyInput } from '../../durable-objects/sku/idempotency';
import type { Outcome } from '../../durable-objects/sku/outcome';
import { err, ok } from '../domain/core/result';
import { homeShard, shardOfReservation, streamOf, streamsOf, sumCounters, type SkuCounters } from '../domain/sku';
import type { Env } from '../env';

/**
 * The edge side of sharded stock: which object a request goes to, and a sharded SKU's counters
 * and stock changes as one SKU. Buyers' requests name the SKU only; the layout is learnt from the
 * shards themselves (a reserve that reaches a shard other than the customer's home is answered
 * `wrong_shard` with the layout), so an unsharded SKU costs nothing more than before.
 */

/** The layout each SKU was last seen with in this isolate; a SKU never seen is taken as unsharded. */
const layouts = new Map<string, number>();
const MAX_LAYOUTS_KEPT = 10_000;
/** A layout change answers wrong_shard from shards not yet told; a reserve follows it this often. */
const MAX_REROUTES = 3;

const rerouteLater: Overloaded = { code: 'overloaded', retryAfterSeconds: 1 };

function rememberLayout(sku: string, shards: number): void {
  if (layouts.size >= MAX_LAYOUTS_KEPT && !layouts.has(sku)) layouts.delete(layouts.keys().next().value!);
  layouts.set(sku, shards);
}

export const stub = (env: Env, stream: string) => env.SKU.getByName(stream);

/** Runs a reserve on the customer's home shard, following the layout the shards answer with. */
export async function onHomeShard<T>(
  env: Env,
  sku: string,
  customerId: string,
  reserve: (stream: string) => Promise<Outcome<T>>,
): Promise<Outcome<T>> {
  for (let i = 0; i < MAX_REROUTES; i++) {
    const outcome = await reserve(streamOf(sku, homeShard(customerId, layouts.get(sku) ?? 1)));
    if (outcome.ok || outcome.error.code !== 'wrong_shard') return outcome;
    rememberLayout(sku, outcome.error.shards);
  }
  return err(rerouteLater);
}

/** The stream (and object) holding a reservation: its id names its shard. */
export const reservationStream = (sku: string, reservationId: string): string => streamOf(sku, shardOfReservation(reservationId));

/** Each shard's counters (one for an unsharded SKU), shard 0 first. */
export async function countersByShard(env: Env, sku: string): Promise<Outcome<SkuCounters[]>> {
  const first = await stub(env, sku).counters(sku);
  if (!first.ok) return first;
  const rest = await Promise.all(streamsOf(sku, first.value.shards ?? 1).slice(1).map((s) => stub(env, s).counters(s)));
  const parts = [first.value];
  for (const part of rest) {
    if (!part.ok) return part;
    parts.push(part.value);
  }
  return ok(parts);
}

/** The SKU's counters from its objects: shard 0's, or the sum of every shard's. */
export async function primaryCounters(env: Env, sku: string): Promise<Outcome<SkuCounters>> {
  const parts = await countersByShard(env, sku);
  return parts.ok ? ok(parts.value.length === 1 ? parts.value[0]! : sumCounters(sku, parts.value)) : parts;
}

type SetStock = { onHand: number; limitPerCustomer?: number | null | undefined; shards?: number | undefined; expectedVersion?: number | undefined };
const MAX_PLAN_ATTEMPTS = 5;

/**
 * Sets a SKU's stock. Unsharded (and staying so): one command, as ever. Sharded: the units not
 * held or sold are spread evenly, each shard set to its own committed units plus its share, under
 * that shard's version, new shards first and shard 0 (whose layout the edge learns first) last.
 * A shard that moved meanwhile (a sale, a loan) refuses with a conflict and the plan is made
 * again from fresh counters. `expectedVersion` is the summed version the counters show.
 */
export async function setStock(env: Env, sku: string, req: SetStock, ticket: Ticket | undefined): Promise<Outcome<SkuCounters>> {
  const first = await stub(env, sku).counters(sku);
  const current = first.ok ? (first.value.shards ?? 1) : 1;
  const shards = req.shards ?? current;
  if (shards === 1 && current === 1) return stub(env, sku).setStock({ sku, ...withoutShards(req) }, undefined, ticket);
  if (shards < current) return err({ code: 'invalid_command', reason: `shards can grow but not shrink (it is ${current})` });
  for (let attempt = 0; attempt < MAX_PLAN_ATTEMPTS; attempt++) {
    const streams = streamsOf(sku, shards);
    const parts = await Promise.all(streams.map(async (s) => {
      const part = await stub(env, s).counters(s);
      return part.ok ? part.value : null;
    }));
    const planned = plan(req, parts, shards, current);
    if (!planned.ok) return planned;
    let replan = false;
    // Highest shard first: every shard a reserve can be sent to by then already has the layout.
    for (let k = shards - 1; k >= 0 && !replan; k--) {
      const set = await stub(env, streams[k]!).setStock({ sku: streams[k]!, ...planned.value[k]! }, undefined, ticket);
      if (!set.ok && (set.error.code === 'version_conflict' || set.error.code === 'below_committed')) replan = true;
      else if (!set.ok) return set;
    }
    if (!replan) return primaryCounters(env, sku);
  }
  return err(rerouteLater);
}

type ShardSet = { onHand: number; limitPerCustomer: number | null; shards: number; expectedVersion: number };

function plan(req: SetStock, parts: readonly (SkuCounters | null)[], shards: number, current: number): Outcome<ShardSet[]> {
  const version = parts.reduce((n, p) => n + (p?.version ?? 0), 0);
  if (req.expectedVersion !== undefined && req.expectedVersion !== version) {
    return err({ code: 'version_conflict', currentVersion: version, expectedVersion: req.expectedVersion });
  }
  const committedOf = (p: SkuCounters | null) => (p ? p.reserved + p.sold : 0);
  const committed = parts.reduce((n, p) => n + committedOf(p), 0);
  if (req.onHand < committed) return err({ code: 'below_committed', committed });
  const limit = req.limitPerCustomer === undefined ? (parts[0]?.limitPerCustomer ?? null) : req.limitPerCustomer;
  // A customer's units live on their home shard; moving homes while units are out would let the
  // limit see only part of them.
  if (shards !== current && limit !== null && committed > 0) {
    return err({ code: 'invalid_command', reason: 'with a per-customer limit, the shard count changes only while nothing is held or sold' });
  }
  const free = req.onHand - committed;
  return ok(parts.map((p, k) => ({
    onHand: committedOf(p) + Math.floor(free / shards) + (k < free % shards ? 1 : 0),
    limitPerCustomer: limit,
    shards,
    expectedVersion: p?.version ?? 0,
  })));
}

const withoutShards = ({ shards: _shards, ...rest }: SetStock) => rest;

type Receipt = { qty: number; expectedVersion?: number | undefined };

/**
 * Units received: on a sharded SKU, spread over the shards as receipts of their own (a receipt
 * adds, so it commutes with sales and loans and never needs a retry). Each shard keeps its part's
 * idempotency record under the request's key, so a retried receipt adds nothing twice.
 */
export async function receiveStock(
  env: Env,
  sku: string,
  receipt: Receipt,
  idempotency: IdempotencyInput | undefined,
  ticket: Ticket | undefined,
): Promise<Outcome<SkuCounters>> {
  const first = await primaryCounters(env, sku);
  const shards = first.ok ? (first.value.shards ?? 1) : 1;
  if (shards === 1) return stub(env, sku).receiveStock({ sku, ...receipt }, idempotency, ticket);
  if (receipt.expectedVersion !== undefined && first.ok && first.value.version !== receipt.expectedVersion) {
    return err({ code: 'version_conflict', currentVersion: first.value.version, expectedVersion: receipt.expectedVersion });
  }
  const streams = streamsOf(sku, shards);
  for (const [k, stream] of streams.entries()) {
    const qty = Math.floor(receipt.qty / shards) + (k < receipt.qty % shards ? 1 : 0);
    if (qty === 0) continue;
    const part = await stub(env, stream).receiveStock({ sku: stream, qty }, idempotency, ticket);
    if (!part.ok) return part;
  }
  return primaryCounters(env, sku);
}
