import { z } from 'zod';
import { isLoopbackHost } from '../security/secrets';
import { LOCAL_S3_CREDENTIALS } from './localS3';
import { S3ObjectStore } from './objectStore';

/**
 * Where the archive's bucket is (issue 27): any S3 API, Cloudflare R2 in production, the local
 * server `npm start` runs by default. Read by the bridge (which writes the archive) and by
 * `inventory audit` (which reads it), from the environment only.
 */
export const ArchiveStoreEnvSchema = z.object({
  /** The S3 API's origin: R2's is `https://<account>.r2.cloudflarestorage.com`. */
  ARCHIVE_S3_ENDPOINT: z.url().default('http://127.0.0.1:8794'),
  ARCHIVE_S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a bucket name (3-63 lower-case letters, digits, . and -)').default('inventory-archive'),
  /** R2 takes `auto`; other stores their region. */
  ARCHIVE_S3_REGION: z.string().min(1).default('auto'),
  /** The local server's keys by default: set both anywhere else. */
  ARCHIVE_S3_ACCESS_KEY_ID: z.string().min(1).default(LOCAL_S3_CREDENTIALS.accessKeyId),
  ARCHIVE_S3_SECRET_ACCESS_KEY: z.string().min(1).default(LOCAL_S3_CREDENTIALS.secretAccessKey),
});
export type ArchiveStoreEnv = z.infer<typeof ArchiveStoreEnvSchema>;

/** The settings from an environment (or a configuration already parsed with this schema's fields); a bad value throws, naming it. */
export function archiveStoreEnv(env: Readonly<Record<string, unknown>>): ArchiveStoreEnv {
  const parsed = ArchiveStoreEnvSchema.safeParse(env);
  if (parsed.success) {
    // The same rule as the bridge's: keys and ledger travel over TLS beyond this machine.
    const url = new URL(parsed.data.ARCHIVE_S3_ENDPOINT);
    if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname)) throw new Error(`invalid archive bucket configuration:\n  ARCHIVE_S3_ENDPOINT: a bucket beyond loopback is reached over https, not ${url.origin}`);
    return parsed.data;
  }
  const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`).join('\n');
  throw new Error(`invalid archive bucket configuration:\n${problems}`);
}

/** The archive's bucket as an object store (its `where` names bucket and endpoint, never the keys). */
export function objectStoreFromEnv(env: Readonly<Record<string, unknown>>): S3ObjectStore {
  const config = archiveStoreEnv(env);
  return new S3ObjectStore({
    endpoint: config.ARCHIVE_S3_ENDPOINT,
    bucket: config.ARCHIVE_S3_BUCKET,
    region: config.ARCHIVE_S3_REGION,
    accessKeyId: config.ARCHIVE_S3_ACCESS_KEY_ID,
    secretAccessKey: config.ARCHIVE_S3_SECRET_ACCESS_KEY,
  });
}
