import { z } from 'zod';
import { parseBridgeUrls } from '../durable-objects/relay/replicas';
import { parseSecrets } from './contract/signature';
import { DEFAULT_TTL_SECONDS, MAX_QTY, MAX_TTL_SECONDS, ShardRegionsSchema, type ShardRegions } from './domain/sku';

/**
 * The Worker's and its objects' vars and secrets, parsed once per env with one schema. A var that
 * is unset, empty or out of range reads as its default: a bad var never takes the edge down (invariant
 * writes-without-back-office), and an invalid BRIDGE_URL is kept as its reason, shown by the relay status and logs.
 */

export const DEFAULT_ADMISSION_MAX_WAIT_MS = 1_000;
const DEFAULT_SOLD_OUT_FRESH_MS = 2_000;
/** Well under the 1 s within which a unit that came back must be sellable at the edge (ADR 0020). */
export const DEFAULT_SOLD_OUT_EDGE_MS = 300;
const DEFAULT_RELAY_MAX_BACKOFF_SECONDS = 30;
/** Reserves one SKU object decides in one transaction at most (ADR 0021): a group of 64 holds the object ~15 ms. */
export const DEFAULT_RESERVE_GROUP_MAX = 64;
/** A group stays a few tens of milliseconds of the object's work. */
const MAX_RESERVE_GROUP = 256;

/** Where a sharded SKU's shards live unless its layout names regions (issue 25): four regions, two continents. */
export const DEFAULT_SHARD_REGIONS: ShardRegions = ['enam', 'wnam', 'weur', 'apac'];

/**
 * Past the object's own admission bound (a queue of 1 s is shed, not slow), so a home that is
 * busy is never taken for one that is gone (ADR 0022).
 */
export const DEFAULT_FAILOVER_AFTER_MS = 1_500;

/** A numeric var: its default when unset, empty or refused by `valid`. */
const numberVar = (valid: z.ZodNumber, fallback: number) =>
  z.string().optional().transform((v) => (v === undefined || v.trim() === '' ? fallback : Number(v))).pipe(valid).catch(fallback);

/** A comma-separated list (keys, secrets): blanks dropped. */
const listVar = z.string().optional().transform(parseSecrets);

export const WorkerConfigSchema = z.object({
  /** A reservation's TTL when the request names none. */
  DEFAULT_TTL_SECONDS: numberVar(z.int().min(1).max(MAX_TTL_SECONDS), DEFAULT_TTL_SECONDS),
  /** The per-customer limit a SKU gets when its first stock change names none (unset or 0: no limit; issue 26). */
  DEFAULT_LIMIT_PER_CUSTOMER: numberVar(z.int().min(0).max(MAX_QTY), 0).transform((n) => (n === 0 ? null : n)),
  /** A command that queued longer than this at its SKU object is shed (0: admission control off). */
  ADMISSION_MAX_WAIT_MS: numberVar(z.number().min(0), DEFAULT_ADMISSION_MAX_WAIT_MS),
  /** Reserves a SKU object decides in one transaction at most (group commit inside the object, ADR 0021; 1: each alone). */
  RESERVE_GROUP_MAX: numberVar(z.int().min(1).max(MAX_RESERVE_GROUP), DEFAULT_RESERVE_GROUP_MAX),
  /** Refuse a reserve at the edge from a sold-out view at most this old (`on` only; ADR 0008: why it is off by default). */
  SOLD_OUT_FAST_PATH: z.string().optional().transform((v) => v === 'on'),
  SOLD_OUT_FRESH_MS: numberVar(z.number().positive(), DEFAULT_SOLD_OUT_FRESH_MS),
  /** Refuse a reserve at the edge this long after the objects' own sold-out refusals (0: off; ADR 0020). */
  SOLD_OUT_EDGE_MS: numberVar(z.number().min(0).max(1_000), DEFAULT_SOLD_OUT_EDGE_MS),
  /** Location hints a sharded SKU's shards are placed by, shard k in the (k mod R)-th, unless its layout names its own. */
  SHARD_REGIONS: z.string().optional().transform((v) => (v ?? '').split(',').map((r) => r.trim()).filter(Boolean)).pipe(ShardRegionsSchema).catch(DEFAULT_SHARD_REGIONS),
  /** `on`: shards can be made unreachable on purpose (the regional drill); local and test only, refused by `deploy:check` elsewhere. */
  FAULT_INJECTION: z.string().optional().transform((v) => v === 'on'),
  /** A reserve whose home shard has not answered within this long goes to a sibling in another region (ADR 0022; 0: never). */
  FAILOVER_AFTER_MS: numberVar(z.number().min(0).max(30_000), DEFAULT_FAILOVER_AFTER_MS),
  /** The ceiling of the outbox push's backoff while no bridge answers. */
  RELAY_MAX_BACKOFF_SECONDS: numberVar(z.number().positive(), DEFAULT_RELAY_MAX_BACKOFF_SECONDS),
  STOREFRONT_KEYS: listVar,
  ADMIN_KEYS: listVar,
  /** HMAC secrets shared with the bridge: the first signs, any verifies. */
  INTERNAL_SECRET: listVar,
  /** The bridge replicas' origins the objects push to (none: the log is kept and nothing pushed). */
  BRIDGE_URL: z.string().optional().transform((v) => parseBridgeUrls(v ?? '')),
});

export type WorkerConfig = z.output<typeof WorkerConfigSchema>;

/** The vars as the env carries them (a test may give only some). */
export type WorkerVars = { [K in keyof z.input<typeof WorkerConfigSchema>]?: string | undefined };

const parsed = new WeakMap<WorkerVars, WorkerConfig>();

/** The env's configuration, parsed on first use: the env object lives as long as its isolate. */
export function workerConfig(env: WorkerVars): WorkerConfig {
  let config = parsed.get(env);
  if (!config) parsed.set(env, (config = WorkerConfigSchema.parse(env)));
  return config;
}
