import { z } from 'zod';
import { ArchiveStoreEnvSchema } from './archive/storeConfig';
import { parseSecrets } from '../src/contract/signature';
import { checkKafkaSecurity, KafkaSecurityEnvSchema } from './eventLog/kafkaSecurity';
import { checkExposure } from './security/exposure';
import { isLoopbackHost, weakSecrets } from './security/secrets';
import { DEFAULT_PARTITIONS } from './eventLog/topicSettings';
import { LocationListEnvSchema, WarehousesEnvSchema } from './warehouses';

const port = z.coerce.number().int().min(0).max(65_535);
const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * The bridge is configured from its environment only (twelve-factor), checked at start so a
 * typo fails loudly instead of, say, silently falling back to the embedded log.
 */
export const BridgeConfigSchema = z.object({
  /** The public listener: the objects' signed pushes (/ingest) and an unauthenticated /healthz, nothing else. */
  BRIDGE_HOST: z.string().min(1).default('127.0.0.1'),
  BRIDGE_PORT: port.default(8788),
  /** The operators' listener: /admin (the CLI), /dashboard, /metrics and /healthz; loopback unless opened on purpose. */
  BRIDGE_ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  BRIDGE_ADMIN_PORT: port.default(8798),
  /**
   * How the other replicas reach this one's admin listener (saga lookups are forwarded to their
   * partition's owner); by default that listener's own address, which must be set where it is a
   * wildcard (0.0.0.0) or behind NAT.
   */
  BRIDGE_ADVERTISED_URL: z.url().optional(),
  /** PEM files: both listeners then serve HTTPS. Required beyond loopback unless BRIDGE_BEHIND_TLS_PROXY=true. */
  BRIDGE_TLS_CERT: z.string().min(1).optional(),
  BRIDGE_TLS_KEY: z.string().min(1).optional(),
  BRIDGE_BEHIND_TLS_PROXY: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  INTERNAL_SECRET: z
    .string({ error: 'INTERNAL_SECRET is required: the HMAC secret shared with the Worker' })
    .refine((v) => parseSecrets(v).length > 0, 'INTERNAL_SECRET holds no secret'),
  KAFKA_BROKERS: z.string().optional().transform(list),
  KAFKA_CLIENT_ID: z.string().min(1).default('inventory-bridge'),
  /** -1: three replicas (one per broker on a smaller cluster). */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(-1).default(-1),
  /** Of every topic: explicit, as existing keyed topics are checked against it (docs/adr/0005-kafka-topic-settings.md). */
  KAFKA_PARTITIONS: z.coerce
    .number()
    .int()
    .min(1, 'KAFKA_PARTITIONS must be at least 1 (-1, the broker\'s num.partitions, is no longer accepted: the topics are checked against an explicit count)')
    .default(DEFAULT_PARTITIONS),
  /**
   * How long Kafka keeps `inventory.events` (retention.ms; -1, the default: forever). Finite only
   * when the archive keeps the events (ARCHIVE=on): Kafka then lets go what the archive in object
   * storage holds, and a new read model starts from snapshots and the archive (issue 27).
   */
  EVENTS_RETENTION_MS: z.coerce.number().int().min(-1).default(-1),
  BRIDGE_DATA_DIR: z.string().min(1).default('.data/bridge'),
  EDGE_URL: z.url().default('http://127.0.0.1:8787'),
  /** The bridge's own admin bearer keys (the CLI, the dashboard), never the Worker's or the WMS's; unset, that API refuses everyone. */
  BRIDGE_ADMIN_KEYS: z.string().optional().transform(list),
  /** Renamed: one key per component, so a leaked Worker key does not open the bridge. */
  ADMIN_KEYS: z.undefined({ error: "the bridge no longer reads ADMIN_KEYS (the Worker's): set BRIDGE_ADMIN_KEYS to keys of the bridge's own" }).optional(),
  /** The WMS SOAP endpoint (its WSDL at `?wsdl`); `SAGA=off` runs the bridge without the saga. */
  WMS_URL: z.url().default('http://127.0.0.1:8789/wms'),
  SAGA: z.enum(['on', 'off']).default('on'),
  /**
   * The warehouse systems (bridge/warehouses.ts), a JSON list of `{id, kind:'soap', url, locations?,
   * priority?, region?}` or `{id, kind:'odata', url, user, password, plants, locations?, …}` (SAP);
   * unset, one: `soap-1` at WMS_URL serving WMS_LOCATIONS (the simulator's).
   */
  WAREHOUSES: WarehousesEnvSchema.optional(),
  WMS_LOCATIONS: LocationListEnvSchema.optional(),
  /** Follow every warehouse's movement documents into the SKUs' stock (bridge/feed); `off`: stock is set by admins only. */
  FEED: z.enum(['on', 'off']).default('on'),
  /** Between two reads of a warehouse's movements once the feed has caught up. */
  FEED_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  /** Movements read per ListMovements call (the simulator serves at most 1,000). */
  FEED_PAGE_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
  WMS_CALL_TIMEOUT_MS: z.coerce.number().int().min(50).default(2_000),
  /**
   * How long an AllocateStock may travel and still be applied after its caller gave up: a cancel
   * within this of the last one is sent once more after it (ADR 0017; SAP keeps no tombstone).
   */
  WMS_LATE_ALLOCATE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /**
   * Between two sweeps of an SAP warehouse's stray reservation documents (bridge/sap/sweep.ts), run by
   * the replica whose feed follows the warehouse (none with FEED=off), each over the documents
   * numbered since the last; 0: never.
   */
  SAP_SWEEP_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /**
   * Counted from a saga's first AllocateStock, never from the reservation (invariant no-sale-undone-by-our-outage). Past it a
   * held reservation the WMS has not answered is compensated (wms_timeout); a completed purchase
   * is never released for that: it turns `overdue` and is retried until the WMS answers.
   */
  ALLOCATION_DEADLINE_SECONDS: z.coerce.number().min(1).default(60),
  SAGA_CONCURRENCY: z.coerce.number().int().min(1).default(64),
  /** A finished saga stays this long (for `sagas list` and late replies), then is retired from memory and its topic. */
  SAGA_RETENTION_SECONDS: z.coerce.number().min(0).default(60),
  /** Publish SKU snapshots to `inventory.snapshots`, so a rebuild need not replay all history. */
  SNAPSHOTS: z.enum(['on', 'off']).default('on'),
  SNAPSHOT_EVERY_EVENTS: z.coerce.number().int().min(1).default(1_000),
  /**
   * Archive every SKU event to object storage as Parquet and snapshot the states there (issue 27,
   * docs/adr/0025-archive-and-snapshots-in-object-storage.md); the bucket is named by ARCHIVE_S3_*.
   */
  ARCHIVE: z.enum(['on', 'off']).default('off'),
  /** A partition's archive file is written once this many events wait, or the oldest has waited ARCHIVE_FLUSH_MS. */
  ARCHIVE_FLUSH_EVENTS: z.coerce.number().int().min(1).default(50_000),
  ARCHIVE_FLUSH_MS: z.coerce.number().int().min(100).default(30_000),
  /** Between two snapshots of every partition's states to the bucket; 0: only on demand (`inventory archive snapshot`). */
  ARCHIVE_SNAPSHOT_EVERY_MS: z.coerce.number().int().min(0).default(600_000),
  ...ArchiveStoreEnvSchema.shape,
  /** The order view: SKU and checkout events joined in causal order, served at /admin/checkouts/{id}. */
  ORDERS: z.enum(['on', 'off']).default('on'),
  /** An event held this long for a cause that has not arrived is logged as an error (and shown in status). */
  CAUSAL_HOLD_ALERT_SECONDS: z.coerce.number().min(1).default(30),
  /** A finished checkout stays in the order view this long, then is forgotten (the edge still answers for it). */
  ORDER_VIEW_RETENTION_SECONDS: z.coerce.number().min(0).default(3_600),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ...KafkaSecurityEnvSchema.shape,
})
  .superRefine(checkKafkaSecurity)
  .superRefine((config, ctx) => {
    // Kafka may let events go only where the archive keeps them: else they would be lost for good.
    if (config.EVENTS_RETENTION_MS !== -1 && config.ARCHIVE !== 'on') {
      ctx.addIssue({ code: 'custom', path: ['EVENTS_RETENTION_MS'], message: 'a finite retention needs ARCHIVE=on: events Kafka deletes must be in the archive' });
    }
    // A bucket beyond this machine is reached over TLS, with keys of its own (not the local server's published ones).
    if (config.ARCHIVE === 'on' && !isLoopbackHost(new URL(config.ARCHIVE_S3_ENDPOINT).hostname)) {
      if (new URL(config.ARCHIVE_S3_ENDPOINT).protocol !== 'https:') ctx.addIssue({ code: 'custom', path: ['ARCHIVE_S3_ENDPOINT'], message: 'a bucket beyond loopback is reached over https' });
      for (const message of weakSecrets('ARCHIVE_S3_SECRET_ACCESS_KEY', [config.ARCHIVE_S3_SECRET_ACCESS_KEY], 'with the bucket beyond loopback')) {
        ctx.addIssue({ code: 'custom', path: ['ARCHIVE_S3_SECRET_ACCESS_KEY'], message });
      }
    }
    if (config.EVENTS_RETENTION_MS !== -1 && config.EVENTS_RETENTION_MS < 86_400_000) {
      ctx.addIssue({ code: 'custom', path: ['EVENTS_RETENTION_MS'], message: 'at least a day (86400000): the archive writes within ARCHIVE_FLUSH_MS, and an outage of the bucket must not lose events' });
    }
  })
  .superRefine(checkExposure);
export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): BridgeConfig {
  const parsed = BridgeConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`).join('\n');
  throw new Error(`invalid bridge configuration:\n${problems}`);
}
