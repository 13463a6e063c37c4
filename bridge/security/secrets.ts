import { isIP } from 'node:net';

/** Shorter than this, a secret can be guessed offline from one signed request, or online soon enough. */
export const MIN_SECRET_LENGTH = 32;

/**
 * Secrets everyone can read: the local stack's (scripts/dev-defaults.mjs, test/unit/bridge/exposure.spec.ts
 * keeps the two lists equal) and the placeholders of the deployment examples (deploy/*.env.example).
 * Listed although most are short, because a copied example may be padded to length.
 */
export const KNOWN_SECRETS: ReadonlySet<string> = new Set([
  'dev-internal-secret',
  'dev-admin',
  'dev-storefront',
  'dev-bridge-admin',
  'dev-wms-admin',
  'dev-sap-admin',
  'change-me',
  'change-me-too',
  'change-me-three',
  'replace-with-32-or-more-random-characters',
]);

/** A host only this machine reaches: the secrets it is given are never on the wire beyond it. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '::ffff:127.0.0.1';
}

/** Why a secret must not be used beyond loopback, or null if it may. */
export function weakSecretReason(secret: string): string | null {
  if (KNOWN_SECRETS.has(secret) || /change-me|replace-with/i.test(secret)) return 'is a published dev or placeholder value';
  if (secret.length < MIN_SECRET_LENGTH) return `is shorter than ${MIN_SECRET_LENGTH} characters`;
  return null;
}

/**
 * The weak values among `secrets` (a comma-separated list, for rotation), as one message per
 * value naming the setting and the fix; never the value itself, which would land in a log.
 */
export function weakSecrets(setting: string, secrets: readonly string[], where: string): string[] {
  return secrets.flatMap((secret, i) => {
    const reason = weakSecretReason(secret);
    const which = secrets.length > 1 ? `${setting} (value ${i + 1} of ${secrets.length})` : setting;
    return reason ? [`${which} ${reason}, refused ${where}: set ${MIN_SECRET_LENGTH}+ random characters (e.g. \`openssl rand -base64 32\`)`] : [];
  });
}
