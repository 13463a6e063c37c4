import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from '../../bridge/archive/localS3';
import { S3ObjectStore } from '../../bridge/archive/objectStore';
import { objectStoreFromEnv } from '../../bridge/archive/storeConfig';

/** The object store against a real S3 API server: what the archive relies on. */
const dir = mkdtempSync(join(tmpdir(), 'object-store-'));
let s3: LocalS3;
let store: S3ObjectStore;
beforeAll(async () => {
  s3 = await startLocalS3({ directory: dir });
  store = new S3ObjectStore({ endpoint: s3.endpoint, bucket: 'object-store-spec', region: 'auto', ...LOCAL_S3_CREDENTIALS });
  await store.ensureBucket();
  await store.ensureBucket();
});
afterAll(async () => {
  store.destroy();
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

describe('S3ObjectStore', () => {
  it('lists past a page (1,000 keys) in key order, from a marker too', async () => {
    const keys = Array.from({ length: 2_345 }, (_, i) => `many/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((key) => store.put(key, new Uint8Array([1]))));
    const listed: string[] = [];
    for await (const { key } of store.list('many/')) listed.push(key);
    expect(listed).toEqual(keys);
    const after: string[] = [];
    for await (const { key } of store.list('many/', 'many/01999')) after.push(key);
    expect(after).toEqual(keys.slice(2_000));
  });

  it('is configured from the environment: the local server by default, https beyond loopback', () => {
    expect(objectStoreFromEnv({}).where).toBe('s3://inventory-archive at http://127.0.0.1:8794');
    expect(objectStoreFromEnv({ ARCHIVE_S3_ENDPOINT: 'https://acct.r2.cloudflarestorage.com', ARCHIVE_S3_BUCKET: 'ledger' }).where).toBe('s3://ledger at https://acct.r2.cloudflarestorage.com');
    expect(() => objectStoreFromEnv({ ARCHIVE_S3_ENDPOINT: 'http://acct.r2.cloudflarestorage.com' })).toThrow('ARCHIVE_S3_ENDPOINT: a bucket beyond loopback is reached over https');
    expect(() => objectStoreFromEnv({ ARCHIVE_S3_BUCKET: 'Bad_Name' })).toThrow('ARCHIVE_S3_BUCKET');
  });

  it('keeps bytes and metadata as written; a missing key is null', async () => {
    const body = new Uint8Array([0, 1, 2, 250, 251]);
    await store.put('one/object', body, { sha256: 'abc', events: '5' });
    expect(await store.get('one/object')).toEqual({ body, metadata: { sha256: 'abc', events: '5' } });
    expect(await store.get('one/missing')).toBeNull();
  });
});
