import { z } from 'zod';
import { BridgeConfigSchema } from '../config';
import { isLoopbackHost, weakSecrets } from '../security/secrets';
import { LatencySchema, millis, rate } from '../simulators/faultsEnv';
import { NO_FAULTS } from './faults';
import { LocationSchema, UNSTOCKED } from './movements';
import { StockUnitsSchema } from './records';
import { DEFAULT_STOCK } from './simulator';

/** The simulator as a process is configured by its environment, checked at start. */
export const WmsConfigSchema = z
  .object({
    WMS_HOST: z.string().min(1).default('127.0.0.1'),
    WMS_PORT: z.coerce.number().int().min(0).max(65_535).default(8789),
    WMS_DATA_DIR: z.string().min(1).default('.data/wms'),
    WMS_DEFAULT_STOCK: z.coerce.number().pipe(StockUnitsSchema).default(DEFAULT_STOCK),
    /** Comma-separated sites (`AMS-1,RTM-2`); the first takes allocations that name none. */
    WMS_LOCATIONS: z
      .string()
      .transform((text) => text.split(',').map((name) => name.trim()).filter(Boolean))
      .pipe(
        z
          .array(LocationSchema)
          .min(1)
          .refine((names) => new Set(names).size === names.length, 'each location once'),
      )
      .optional(),
    WMS_UNSTOCKED: z.enum(UNSTOCKED).default('unlimited'),
    WMS_LATENCY_MS: LatencySchema.default(NO_FAULTS.latencyMs),
    WMS_TIMEOUT_RATE: rate(NO_FAULTS.timeoutRate),
    WMS_FAULT_RATE: rate(NO_FAULTS.faultRate),
    WMS_DUPLICATE_RATE: rate(NO_FAULTS.duplicateRate),
    WMS_LATE_RATE: rate(NO_FAULTS.lateRate),
    WMS_LATE_MS: millis(NO_FAULTS.lateMs),
    LOG_LEVEL: BridgeConfigSchema.shape.LOG_LEVEL,
    /** Keys of its admin API, its own (never the Worker's or the bridge's); unset, it refuses everyone. */
    WMS_ADMIN_KEYS: BridgeConfigSchema.shape.BRIDGE_ADMIN_KEYS,
    ADMIN_KEYS: z.undefined({ error: 'the WMS simulator no longer reads ADMIN_KEYS: set WMS_ADMIN_KEYS to keys of its own' }).optional(),
  })
  .superRefine((env, ctx) => {
    if (isLoopbackHost(env.WMS_HOST)) return;
    for (const message of weakSecrets('WMS_ADMIN_KEYS', env.WMS_ADMIN_KEYS, `with WMS_HOST=${env.WMS_HOST} beyond loopback`)) {
      ctx.addIssue({ code: 'custom', path: ['WMS_ADMIN_KEYS'], message });
    }
  })
  .transform((env) => ({
    host: env.WMS_HOST,
    port: env.WMS_PORT,
    dataDir: env.WMS_DATA_DIR,
    defaultStock: env.WMS_DEFAULT_STOCK,
    locations: env.WMS_LOCATIONS,
    unstocked: env.WMS_UNSTOCKED,
    logLevel: env.LOG_LEVEL,
    adminKeys: env.WMS_ADMIN_KEYS,
    faults: {
      latencyMs: env.WMS_LATENCY_MS,
      timeoutRate: env.WMS_TIMEOUT_RATE,
      faultRate: env.WMS_FAULT_RATE,
      duplicateRate: env.WMS_DUPLICATE_RATE,
      lateRate: env.WMS_LATE_RATE,
      lateMs: env.WMS_LATE_MS,
    },
  }));
export type WmsConfig = z.output<typeof WmsConfigSchema>;

export function loadWmsConfig(env: Record<string, string | undefined>): WmsConfig {
  const parsed = WmsConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new Error(`invalid WMS simulator configuration:\n${z.prettifyError(parsed.error)}`);
}
