import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { z } from 'zod';

/**
 * How the bridge reaches a real Kafka cluster: TLS (optionally with the cluster's own CA) and
 * SASL (PLAIN or SCRAM) from the environment. SASL sends credentials the broker can replay, so
 * it is only accepted over TLS.
 */
export const KafkaSecurityEnvSchema = z.object({
  KAFKA_TLS: z.enum(['on', 'off']).default('off'),
  /** PEM file of the CA that signed the brokers' certificates; unset, the system's CAs. */
  KAFKA_TLS_CA_FILE: z.string().min(1).optional(),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
});
type KafkaSecurityEnv = z.infer<typeof KafkaSecurityEnvSchema>;

/** The combinations that cannot work or would leak credentials, as configuration errors. */
export function checkKafkaSecurity(env: KafkaSecurityEnv, ctx: z.RefinementCtx): void {
  const sasl = env.KAFKA_SASL_MECHANISM;
  if (sasl && (!env.KAFKA_SASL_USERNAME || !env.KAFKA_SASL_PASSWORD)) {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_MECHANISM'], message: `SASL ${sasl} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD` });
  }
  if (!sasl && (env.KAFKA_SASL_USERNAME || env.KAFKA_SASL_PASSWORD)) {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_MECHANISM'], message: 'SASL credentials are set but no KAFKA_SASL_MECHANISM (plain, scram-sha-256 or scram-sha-512)' });
  }
  if (sasl && env.KAFKA_TLS !== 'on') {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_TLS'], message: 'SASL credentials would cross the network in clear: set KAFKA_TLS=on' });
  }
  if (env.KAFKA_TLS_CA_FILE && env.KAFKA_TLS !== 'on') {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_TLS_CA_FILE'], message: 'a CA file is only used with KAFKA_TLS=on' });
  }
}

/** kafkajs's `ssl` and `sasl` options for a checked configuration; the CA file is read now, once. */
export function kafkaSecurity(env: KafkaSecurityEnv): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const ssl = env.KAFKA_TLS !== 'on' ? undefined : env.KAFKA_TLS_CA_FILE ? { ca: [readCa(env.KAFKA_TLS_CA_FILE)] } : true;
  const sasl: SASLOptions | undefined =
    env.KAFKA_SASL_MECHANISM && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
      ? ({ mechanism: env.KAFKA_SASL_MECHANISM, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD })
      : undefined;
  return { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`KAFKA_TLS_CA_FILE ${file} cannot be read: ${(error as Error).message}`, { cause: error });
  }
}
