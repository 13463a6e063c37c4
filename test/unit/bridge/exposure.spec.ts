import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../bridge/config';
import { isLoopbackHost, KNOWN_SECRETS, MIN_SECRET_LENGTH, weakSecretReason } from '../../../bridge/security/secrets';
import { loadWmsConfig } from '../../../bridge/wms/config';
// @ts-expect-error -- a plain ESM script shared with `npm start`
import { BRIDGE_ADMIN_KEY, DEV_VARS, SAP_ADMIN_KEY, WMS_ADMIN_KEY } from '../../../scripts/dev-defaults.mjs';

const root = join(import.meta.dirname, '..', '..', '..');
const strong = () => randomBytes(32).toString('base64');
/** Beyond loopback, behind a proxy (so no certificate files are needed to pass the check). */
const exposed = { BRIDGE_HOST: '0.0.0.0', BRIDGE_ADMIN_HOST: '10.0.0.5', BRIDGE_BEHIND_TLS_PROXY: 'true' };
const problems = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('which hosts are loopback', () => {
  it('127/8, ::1 and localhost are; the wildcard and anything else are not', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'bridge.internal', '128.0.0.1', '127.0.0.1.example.com']) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe('weak secrets', () => {
  it('every dev default of scripts/dev-defaults.mjs is a known secret', () => {
    const devValues = [...Object.entries(DEV_VARS as Record<string, string>).filter(([name]) => name !== 'BRIDGE_URL').map(([, v]) => v), BRIDGE_ADMIN_KEY as string, WMS_ADMIN_KEY as string, SAP_ADMIN_KEY as string];
    for (const value of devValues) expect(KNOWN_SECRETS.has(value), value).toBe(true);
  });

  it('every secret of deploy/bridge.env.example is refused: the example cannot go live as it is', () => {
    const example = Object.fromEntries(
      readFileSync(join(root, 'deploy', 'bridge.env.example'), 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
        .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
    const message = problems(example);
    expect(message).toContain('INTERNAL_SECRET is a published dev or placeholder value, refused with ingest reachable beyond loopback (BRIDGE_HOST=0.0.0.0)');
    // Its admin listener stays on loopback; opened, its placeholder key is refused too.
    expect(message).not.toContain('BRIDGE_ADMIN_KEYS');
    expect(problems({ ...example, BRIDGE_ADMIN_HOST: '10.0.0.5' })).toContain('BRIDGE_ADMIN_KEYS is a published dev or placeholder value');
    // The archive's bucket is beyond loopback: its placeholder key is refused too.
    expect(message).toContain('ARCHIVE_S3_SECRET_ACCESS_KEY is a published dev or placeholder value, refused with the bucket beyond loopback');
    expect(problems({ ...example, ARCHIVE_S3_ENDPOINT: 'http://r2.example' })).toContain('a bucket beyond loopback is reached over https');
    // With real secrets, the example is a working configuration.
    expect(problems({ ...example, INTERNAL_SECRET: strong(), BRIDGE_ADMIN_KEYS: strong(), ARCHIVE_S3_SECRET_ACCESS_KEY: strong() })).toBe('');
  });

  it('shorter than 32 characters is weak, 32 random ones are not', () => {
    fc.assert(fc.property(fc.string({ maxLength: MIN_SECRET_LENGTH - 1 }), (secret) => weakSecretReason(secret) !== null));
    expect(weakSecretReason('x'.repeat(MIN_SECRET_LENGTH))).toBeNull();
    expect(weakSecretReason(`change-me-${'x'.repeat(40)}`)).toBe('is a published dev or placeholder value');
  });
});

describe('the bridge configuration beyond loopback', () => {
  it('on loopback, dev and short secrets are fine (npm start)', () => {
    expect(problems({ INTERNAL_SECRET: 'dev-internal-secret', BRIDGE_ADMIN_KEYS: 'dev-bridge-admin' })).toBe('');
  });

  it('a listener beyond loopback over plain HTTP is refused, naming the fix; TLS files or a declared proxy allow it', () => {
    expect(problems({ INTERNAL_SECRET: strong(), BRIDGE_ADMIN_HOST: '0.0.0.0', BRIDGE_ADMIN_KEYS: strong() })).toBe(
      'invalid bridge configuration:\n' +
        '  BRIDGE_ADMIN_HOST: 0.0.0.0 is reachable beyond this machine over plain HTTP: set BRIDGE_TLS_CERT and BRIDGE_TLS_KEY (PEM files) to serve HTTPS, or BRIDGE_BEHIND_TLS_PROXY=true if a TLS-terminating proxy is the only way in, or bind 127.0.0.1',
    );
    expect(problems({ INTERNAL_SECRET: strong(), BRIDGE_HOST: '0.0.0.0', BRIDGE_TLS_CERT: 'cert.pem', BRIDGE_TLS_KEY: 'key.pem' })).toBe('');
    expect(problems({ INTERNAL_SECRET: strong(), BRIDGE_HOST: '0.0.0.0', BRIDGE_TLS_CERT: 'cert.pem' })).toContain('BRIDGE_TLS_KEY: HTTPS needs both BRIDGE_TLS_CERT and BRIDGE_TLS_KEY');
  });

  it('known and short secrets are refused once exposed, each setting named and no value printed', () => {
    const message = problems({ ...exposed, INTERNAL_SECRET: `${strong()},dev-internal-secret`, BRIDGE_ADMIN_KEYS: 'short-key' });
    expect(message).toBe(
      'invalid bridge configuration:\n' +
        '  INTERNAL_SECRET: INTERNAL_SECRET (value 2 of 2) is a published dev or placeholder value, refused with ingest reachable beyond loopback (BRIDGE_HOST=0.0.0.0): set 32+ random characters (e.g. `openssl rand -base64 32`)\n' +
        '  BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEYS is shorter than 32 characters, refused with the admin API reachable beyond loopback (BRIDGE_ADMIN_HOST=10.0.0.5): set 32+ random characters (e.g. `openssl rand -base64 32`)',
    );
    expect(message).not.toContain('short-key');
    expect(problems({ ...exposed, INTERNAL_SECRET: strong(), BRIDGE_ADMIN_KEYS: strong() })).toBe('');
  });

  it('a proxy in front of a loopback bind still exposes it; a remote Worker exposes INTERNAL_SECRET', () => {
    expect(problems({ BRIDGE_BEHIND_TLS_PROXY: 'true', INTERNAL_SECRET: strong(), BRIDGE_ADMIN_KEYS: 'dev-bridge-admin' })).toContain('BRIDGE_ADMIN_KEYS is a published dev or placeholder value');
    expect(problems({ EDGE_URL: 'https://inventory.example.workers.dev', INTERNAL_SECRET: 'dev-internal-secret' })).toContain(
      'INTERNAL_SECRET is a published dev or placeholder value, refused with the Worker beyond loopback (EDGE_URL)',
    );
  });

  it("the Worker's ADMIN_KEYS is refused by name, and the two listeners cannot share a port", () => {
    expect(problems({ INTERNAL_SECRET: 's', ADMIN_KEYS: 'k' })).toContain("ADMIN_KEYS: the bridge no longer reads ADMIN_KEYS (the Worker's): set BRIDGE_ADMIN_KEYS to keys of the bridge's own");
    expect(problems({ INTERNAL_SECRET: 's', BRIDGE_PORT: '9000', BRIDGE_ADMIN_PORT: '9000' })).toContain("BRIDGE_ADMIN_PORT: the admin listener needs a port of its own, not BRIDGE_PORT's 9000");
  });
});

describe('the WMS simulator configuration beyond loopback', () => {
  it('its own keys (WMS_ADMIN_KEYS), refused when known or short once WMS_HOST is not loopback', () => {
    expect(loadWmsConfig({ WMS_ADMIN_KEYS: 'dev-wms-admin' }).adminKeys).toEqual(['dev-wms-admin']);
    expect(() => loadWmsConfig({ WMS_HOST: '0.0.0.0', WMS_ADMIN_KEYS: 'dev-wms-admin' })).toThrow(/WMS_ADMIN_KEYS is a published dev or placeholder value, refused with WMS_HOST=0\.0\.0\.0 beyond loopback/);
    expect(loadWmsConfig({ WMS_HOST: '0.0.0.0', WMS_ADMIN_KEYS: strong() }).host).toBe('0.0.0.0');
    expect(() => loadWmsConfig({ ADMIN_KEYS: 'k' })).toThrow(/set WMS_ADMIN_KEYS to keys of its own/);
  });
});
