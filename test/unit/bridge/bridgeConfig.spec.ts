import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../bridge/config';
import { kafkaSecurity } from '../../../bridge/eventLog/kafkaSecurity';

const base = { INTERNAL_SECRET: 'a-secret', KAFKA_BROKERS: 'kafka-1:9093,kafka-2:9093,kafka-3:9093' };
const dir = mkdtempSync(join(tmpdir(), 'bridge-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bridge configuration, checked at start', () => {
  it('defaults to plaintext Kafka without SASL, as on loopback', () => {
    const config = loadConfig(base);
    expect(config.KAFKA_BROKERS).toEqual(['kafka-1:9093', 'kafka-2:9093', 'kafka-3:9093']);
    expect(kafkaSecurity(config)).toEqual({});
  });

  it('a bounded events topic needs the archive on, and keeps at least a day', () => {
    expect(loadConfig(base).EVENTS_RETENTION_MS).toBe(-1);
    expect(() => loadConfig({ ...base, EVENTS_RETENTION_MS: '604800000' })).toThrow('EVENTS_RETENTION_MS: a finite retention needs ARCHIVE=on: events Kafka deletes must be in the archive');
    expect(() => loadConfig({ ...base, ARCHIVE: 'on', EVENTS_RETENTION_MS: '3600000' })).toThrow('EVENTS_RETENTION_MS: at least a day (86400000)');
    const bounded = loadConfig({ ...base, ARCHIVE: 'on', EVENTS_RETENTION_MS: '604800000' });
    expect([bounded.ARCHIVE, bounded.EVENTS_RETENTION_MS, bounded.ARCHIVE_S3_ENDPOINT, bounded.ARCHIVE_S3_BUCKET]).toEqual(['on', 604_800_000, 'http://127.0.0.1:8794', 'inventory-archive']);
  });

  it('TLS with the system CAs, or with the cluster CA read from a file, and SCRAM credentials', () => {
    expect(kafkaSecurity(loadConfig({ ...base, KAFKA_TLS: 'on' }))).toEqual({ ssl: true });
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = loadConfig({ ...base, KAFKA_TLS: 'on', KAFKA_TLS_CA_FILE: ca, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'bridge', KAFKA_SASL_PASSWORD: 'pw' });
    expect(kafkaSecurity(config)).toEqual({
      ssl: { ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'] },
      sasl: { mechanism: 'scram-sha-512', username: 'bridge', password: 'pw' },
    });
  });

  it.each([
    [{ KAFKA_TLS: 'on', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'bridge' }, 'KAFKA_SASL_MECHANISM: SASL plain needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD'],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'bridge', KAFKA_SASL_PASSWORD: 'pw' }, 'KAFKA_TLS: SASL credentials would cross the network in clear: set KAFKA_TLS=on'],
    [{ KAFKA_TLS: 'on', KAFKA_SASL_USERNAME: 'bridge', KAFKA_SASL_PASSWORD: 'pw' }, 'KAFKA_SASL_MECHANISM: SASL credentials are set but no KAFKA_SASL_MECHANISM'],
    [{ KAFKA_TLS_CA_FILE: '/ca.pem' }, 'KAFKA_TLS_CA_FILE: a CA file is only used with KAFKA_TLS=on'],
    [{ KAFKA_TLS: 'yes' }, 'KAFKA_TLS: Invalid option'],
  ])('refuses %j with a message naming the setting', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it('a CA file that cannot be read fails the start with its path', () => {
    const config = loadConfig({ ...base, KAFKA_TLS: 'on', KAFKA_TLS_CA_FILE: join(dir, 'missing.pem') });
    expect(() => kafkaSecurity(config)).toThrow(`KAFKA_TLS_CA_FILE ${join(dir, 'missing.pem')} cannot be read`);
  });

  it('says every problem at once, INTERNAL_SECRET first among them', () => {
    expect(() => loadConfig({ BRIDGE_PORT: 'eighty' })).toThrow(/invalid bridge configuration:\n {2}BRIDGE_PORT: .*\n {2}INTERNAL_SECRET: INTERNAL_SECRET is required/);
  });
});

describe('the partition count of the topics', () => {
  it('is 12 unless KAFKA_PARTITIONS says otherwise', () => {
    expect(loadConfig(base).KAFKA_PARTITIONS).toBe(12);
    expect(loadConfig({ ...base, KAFKA_PARTITIONS: '4' }).KAFKA_PARTITIONS).toBe(4);
  });

  it.each(['-1', '0', '2.5'])('refuses KAFKA_PARTITIONS=%s', (value) => {
    expect(() => loadConfig({ ...base, KAFKA_PARTITIONS: value })).toThrow(/KAFKA_PARTITIONS: /);
  });

  it('says why the broker default (-1) is gone', () => {
    expect(() => loadConfig({ ...base, KAFKA_PARTITIONS: '-1' })).toThrow(
      "KAFKA_PARTITIONS: KAFKA_PARTITIONS must be at least 1 (-1, the broker's num.partitions, is no longer accepted: the topics are checked against an explicit count)",
    );
  });
});
