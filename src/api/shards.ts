import { TOP_HOLDERS } from '../contract/schemas';
import type { Ticket } from '../contract/admission';
import type { IdempotencyInput } from '../../durable-objects/sku/idempotency';
import type { Outcome } from '../contract/outcome';
import type { Hoarding, SkuStats } from '../../durable-objects/Sku';
import { err, ok } from '../domain/core/result';
import { defined, layoutRefusal, planStock, regionOfShard, streamsOf, sumCounters, type AdminCause, type FailoverLimits, type Placement, type SalePolicyChange, changedPolicy, NO_POLICY, type ShardRegions, type ShardStock, type SkuCounters, type StockTarget } from '../domain/sku';
import type { Env } from '../env';

import { rerouteLater } from '../contract/routing';
import { workerConfig } from '../config';
import { placedStub, stub } from '../env';

/**
 * The edge side of sharded stock: a sharded SKU's counters and stock changes as one SKU (which
 * object a request goes to is `src/contract/routing.ts`, shared with the checkout).
 */

/**
 * Shard 0's answer, whose counters tell the layout, then the other shards' answers, asked
 * together; shard 0's refusal (no such SKU) is the whole answer.
 */
async function askEveryShard<T>(sku: string, ask: (stream: string) => Promise<Outcome<T>>, shardsOf: (first: T) => number | undefined): Promise<Outcome<Outcome<T>[]>> {
  const first = await ask(sku);
  if (!first.ok) return first;
  const rest = await Promise.all(streamsOf(sku, shardsOf(first.value) ?? 1).slice(1).map(ask));
  return ok([first, ...rest]);
}

/** Each shard's counters (one for an unsharded SKU), shard 0 first. */
export async function countersByShard(env: Env, sku: string): Promise<Outcome<SkuCounters[]>> {
  const answers = await askEveryShard(sku, (s) => stub(env, s).counters(s), (counters) => counters.shards);
  if (!answers.ok) return answers;
  const parts: SkuCounters[] = [];
  for (const part of answers.value) {
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

type SetStock = StockTarget & Placement & { shards?: number | undefined; shardRegions?: ShardRegions | undefined; failoverLimits?: FailoverLimits | undefined; policy?: SalePolicyChange | undefined; cause?: AdminCause | undefined };
const MAX_PLAN_ATTEMPTS = 5;
/** A unit on its way between two shards cannot be taken off yet: the plan is made again after this. */
const IN_FLIGHT_PAUSE_MS = 100;

/**
 * Sets a SKU's stock. Unsharded (and staying so): one command, as ever. Sharded: the plan
 * (`planStock`) is applied as relative adjustments, which commute with the loans and sales that
 * go on meanwhile: the total only ever moves toward the target, never past it, and no unit is made
 * or lost by a loan in flight. New shards are adjusted first (from 0, with the layout), shard 0
 * last. A shard that refuses (`below_committed`: it sold the units meanwhile) makes the plan be
 * made again from fresh reads.
 */
export async function setStock(env: Env, sku: string, asked: SetStock, ticket: Ticket | undefined): Promise<Outcome<SkuCounters>> {
  const { SHARD_REGIONS: defaults, DEFAULT_LIMIT_PER_CUSTOMER: defaultLimit } = workerConfig(env);
  // A SKU created sharded: shard 0 is created by this first read, so it is placed too.
  const sharding = (asked.shards ?? 1) > 1;
  const first = await placedStub(env, sku, sharding ? regionOfShard(asked.shardRegions ?? defaults, 0) : undefined).counters(sku);
  // A new SKU whose first stock change names no limit gets the configured one (issue 26).
  const req = asked.limitPerCustomer === undefined && !first.ok && first.error.code === 'sku_not_found' && defaultLimit !== null ? { ...asked, limitPerCustomer: defaultLimit } : asked;
  const current = first.ok ? (first.value.shards ?? 1) : 1;
  const shards = req.shards ?? current;
  if (shards === 1 && current === 1) return stub(env, sku).setStock({ sku, ...withoutShards(req) }, undefined, ticket);
  const shrinking = layoutRefusal(current, shards);
  if (shrinking) return err(shrinking);
  const streams = streamsOf(sku, shards);
  // The whole policy after the change, to every shard alike: a partial change merged by each shard
  // into its own would leave a shard the layout adds without the rules the others hold.
  const rules = first.ok ? first.value.policy : undefined;
  const policy = req.policy === undefined ? rules : changedPolicy(rules ?? NO_POLICY, req.policy);
  if (typeof policy === 'string') return err({ code: 'invalid_command', reason: policy });
  // Where the layout's shards live: as asked, else as recorded, else the configured default (each shard checks a placed one would not move).
  const shardRegions = req.shardRegions ?? (first.ok ? first.value.shardRegions : undefined) ?? defaults;
  const at = (k: number) => placedStub(env, streams[k]!, regionOfShard(shardRegions, k));
  for (let attempt = 0; attempt < MAX_PLAN_ATTEMPTS; attempt++) {
    const parts: ShardStock[] = await Promise.all(streams.map(async (s, k) => {
      const part = await at(k).stock(s);
      return part.ok ? part.value : null;
    }));
    const planned = planStock(req, parts, shards, req.location);
    if (!planned.ok) return planned;
    let replan = planned.value === 'in_flight';
    // Highest shard first: every shard a reserve can be sent to by then already has the layout.
    for (let k = shards - 1; k >= 0 && !replan && planned.value !== 'in_flight'; k--) {
      const adjusted = await at(k).adjustStock({ sku: streams[k]!, ...planned.value[k]!, shardRegions, ...defined({ failoverLimits: req.failoverLimits ?? (first.ok ? first.value.failoverLimits : undefined), policy }), ...placement(req), ...cause(req) }, ticket);
      if (!adjusted.ok && adjusted.error.code === 'below_committed') replan = true;
      else if (!adjusted.ok) return adjusted;
    }
    if (!replan) return primaryCounters(env, sku);
    await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_PAUSE_MS));
  }
  return err(rerouteLater);
}

const withoutShards = ({ shards: _shards, ...rest }: SetStock) => rest;
/** A location's stock, priority and region are set on every shard: each sources its buyers by them. */
const placement = ({ location, priority, region }: Placement) => defined({ location, priority, region });
const cause = ({ cause: c }: { cause?: AdminCause | undefined }) => (c ? { cause: c } : {});

type Receipt = { qty: number; expectedVersion?: number | undefined; location?: string | undefined; cause?: AdminCause | undefined };

/**
 * Units received. On a sharded SKU they go to shard 0 as one receipt (a receipt adds, so it
 * commutes with sales and loans, and borrowing spreads the units where buyers are), kept under the
 * request's Idempotency-Key there, so a retried receipt adds nothing twice whatever the layout.
 * `expectedVersion` is the summed version.
 */
export async function receiveStock(
  env: Env,
  sku: string,
  receipt: Receipt,
  idempotency: IdempotencyInput | undefined,
  ticket: Ticket | undefined,
): Promise<Outcome<SkuCounters>> {
  const first = await stub(env, sku).counters(sku);
  if (!first.ok || (first.value.shards ?? 1) === 1) return stub(env, sku).receiveStock({ sku, ...receipt }, idempotency, ticket);
  const before = await primaryCounters(env, sku);
  if (!before.ok) return before;
  if (receipt.expectedVersion !== undefined && before.value.version !== receipt.expectedVersion) {
    return err({ code: 'version_conflict', currentVersion: before.value.version, expectedVersion: receipt.expectedVersion });
  }
  const received = await stub(env, sku).receiveStock({ sku, qty: receipt.qty, ...defined({ location: receipt.location }), ...cause(receipt) }, idempotency, ticket);
  if (!received.ok) return received;
  const after = await primaryCounters(env, sku);
  return received.replayed ? { ...after, replayed: true } : after;
}

/** A SKU's counters and reserve outcomes, summed over its shards; null for a SKU never set up. */
export async function skuStats(env: Env, sku: string): Promise<(SkuStats & { sku: string }) | null> {
  const answers = await askEveryShard(sku, (s) => stub(env, s).stats(s), (stats) => stats.counters.shards);
  if (!answers.ok) return null;
  // A live view: a shard that did not answer is left out of this poll rather than failing it.
  const parts = answers.value.flatMap((part) => (part.ok ? [part.value] : []));
  const outcomes: Record<string, number> = {};
  for (const part of parts) for (const [code, n] of Object.entries(part.outcomes)) outcomes[code] = (outcomes[code] ?? 0) + n;
  return {
    sku,
    counters: parts.length === 1 ? parts[0]!.counters : sumCounters(sku, parts.map((p) => p.counters)),
    outcomes,
    since: parts.map((p) => p.since).reduce((a, b) => (b > a ? b : a)),
    hoarding: sumHoarding(parts.map((p) => p.hoarding)),
  };
}

/** The shards' hoarding as one SKU's: a customer's units summed (re-homed, they may hold on two shards), the top 5 of them. */
function sumHoarding(parts: readonly Hoarding[]): Hoarding {
  const units = new Map<string, number>();
  for (const part of parts) for (const h of part.topHolders) units.set(h.customerId, (units.get(h.customerId) ?? 0) + h.units);
  const topHolders = [...units].map(([customerId, n]) => ({ customerId, units: n })).sort((a, b) => b.units - a.units || a.customerId.localeCompare(b.customerId)).slice(0, TOP_HOLDERS);
  return { topHolders, expiredUnits: parts.reduce((n, p) => n + p.expiredUnits, 0) };
}
