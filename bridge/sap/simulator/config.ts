import { z } from 'zod';
import { BridgeConfigSchema } from '../../config';
import { isLoopbackHost, weakSecrets } from '../../security/secrets';
import { LatencySchema, millis, rate } from '../../simulators/faultsEnv';
import { UNSTOCKED } from '../../wms/movements';
import { StockUnitsSchema } from '../../wms/records';
import { NO_SAP_FAULTS } from './faults';
import { PlantsSchema } from '../plants';
import { DEFAULT_PLANTS, DEFAULT_SAP_PASSWORD, DEFAULT_SAP_STOCK, DEFAULT_SAP_USER } from './server';

const PlantsJsonSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON: {"FRA-1":{"plant":"1010","storageLocation":"0001"}}' });
      return z.NEVER;
    }
  })
  .pipe(PlantsSchema);

/** The SAP simulator as a process is configured by its environment, checked at start. */
export const SapConfigSchema = z
  .object({
    SAP_HOST: z.string().min(1).default('127.0.0.1'),
    SAP_PORT: z.coerce.number().int().min(0).max(65_535).default(8792),
    /** Where its state is kept; unset, in memory only (forgotten at exit). */
    SAP_STATE_FILE: z.string().min(1).optional(),
    SAP_PLANTS: PlantsJsonSchema.default(DEFAULT_PLANTS),
    SAP_UNSTOCKED: z.enum(UNSTOCKED).default('unlimited'),
    SAP_DEFAULT_STOCK: z.coerce.number().pipe(StockUnitsSchema).default(DEFAULT_SAP_STOCK),
    SAP_USER: z.string().min(1).max(12).default(DEFAULT_SAP_USER),
    SAP_PASSWORD: z.string().min(1).default(DEFAULT_SAP_PASSWORD),
    SAP_LATENCY_MS: LatencySchema.default(NO_SAP_FAULTS.latencyMs),
    SAP_TIMEOUT_RATE: rate(NO_SAP_FAULTS.timeoutRate),
    SAP_FAULT_RATE: rate(NO_SAP_FAULTS.faultRate),
    SAP_DUPLICATE_RATE: rate(NO_SAP_FAULTS.duplicateRate),
    SAP_LATE_RATE: rate(NO_SAP_FAULTS.lateRate),
    SAP_LATE_MS: millis(NO_SAP_FAULTS.lateMs),
    SAP_THROTTLE_RATE: rate(NO_SAP_FAULTS.throttleRate),
    SAP_RETRY_AFTER_S: z.coerce.number().pipe(z.int().min(0).max(3_600)).default(NO_SAP_FAULTS.retryAfterSeconds),
    SAP_LOST_RATE: rate(NO_SAP_FAULTS.lostRate),
    LOG_LEVEL: BridgeConfigSchema.shape.LOG_LEVEL,
    /** Keys of its admin API, its own; unset, it refuses everyone. */
    SAP_ADMIN_KEYS: BridgeConfigSchema.shape.BRIDGE_ADMIN_KEYS,
  })
  .superRefine((env, ctx) => {
    if (isLoopbackHost(env.SAP_HOST)) return;
    const where = `with SAP_HOST=${env.SAP_HOST} beyond loopback`;
    for (const message of weakSecrets('SAP_ADMIN_KEYS', env.SAP_ADMIN_KEYS, where)) ctx.addIssue({ code: 'custom', path: ['SAP_ADMIN_KEYS'], message });
    if (env.SAP_PASSWORD === DEFAULT_SAP_PASSWORD) ctx.addIssue({ code: 'custom', path: ['SAP_PASSWORD'], message: `SAP_PASSWORD is the published local default, refused ${where}` });
  })
  .transform((env) => ({
    host: env.SAP_HOST,
    port: env.SAP_PORT,
    stateFile: env.SAP_STATE_FILE,
    plants: env.SAP_PLANTS,
    unstocked: env.SAP_UNSTOCKED,
    defaultStock: env.SAP_DEFAULT_STOCK,
    user: env.SAP_USER,
    password: env.SAP_PASSWORD,
    logLevel: env.LOG_LEVEL,
    adminKeys: env.SAP_ADMIN_KEYS,
    faults: {
      latencyMs: env.SAP_LATENCY_MS,
      timeoutRate: env.SAP_TIMEOUT_RATE,
      faultRate: env.SAP_FAULT_RATE,
      duplicateRate: env.SAP_DUPLICATE_RATE,
      lateRate: env.SAP_LATE_RATE,
      lateMs: env.SAP_LATE_MS,
      throttleRate: env.SAP_THROTTLE_RATE,
      retryAfterSeconds: env.SAP_RETRY_AFTER_S,
      lostRate: env.SAP_LOST_RATE,
    },
  }));
export type SapConfig = z.output<typeof SapConfigSchema>;

export function loadSapConfig(env: Record<string, string | undefined>): SapConfig {
  const parsed = SapConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new Error(`invalid SAP simulator configuration:\n${z.prettifyError(parsed.error)}`);
}
