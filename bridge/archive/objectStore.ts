import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';

/** An object as stored: its bytes and the metadata written with it (`x-amz-meta-*`). */
export type StoredObject = { body: Uint8Array; metadata: Record<string, string> };
export type ListedObject = { key: string; size: number };

/**
 * The bridge's only view of object storage (the archive and the snapshots, issue 27): keys to
 * immutable bytes. One adapter, S3's API: Cloudflare R2 in production, s3rver locally and in tests.
 */
export interface ObjectStore {
  put(key: string, body: Uint8Array, metadata?: Record<string, string>): Promise<void>;
  /** Null when there is no such key. */
  get(key: string): Promise<StoredObject | null>;
  /** Every key under the prefix, in key order (S3 lists by UTF-8 byte order), paged as the store pages. */
  list(prefix: string, startAfter?: string): AsyncIterable<ListedObject>;
  /** The bucket at the endpoint, for logs and errors (never credentials). */
  readonly where: string;
}

export type S3StoreOptions = { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string };

export class S3ObjectStore implements ObjectStore {
  readonly where: string;
  readonly #s3: S3Client;
  readonly #bucket: string;

  constructor(options: S3StoreOptions) {
    this.#bucket = options.bucket;
    this.where = `s3://${options.bucket} at ${new URL(options.endpoint).origin}`;
    this.#s3 = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      // Path-style: a local server has no per-bucket host names; R2 accepts both.
      forcePathStyle: true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // Whole bodies with a SHA-256 of our own in the metadata; the SDK's streaming trailers are not understood by every S3-compatible server.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 5,
    });
  }

  /** Creates the bucket where it is missing (a local server's first start); R2's exists already. */
  async ensureBucket(): Promise<void> {
    try {
      await this.#s3.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (error) {
      if (!(error instanceof S3ServiceException) || error.$metadata.httpStatusCode !== 404) throw error;
      await this.#s3.send(new CreateBucketCommand({ Bucket: this.#bucket }));
    }
  }

  async put(key: string, body: Uint8Array, metadata: Record<string, string> = {}): Promise<void> {
    await this.#s3.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, Metadata: metadata, ContentLength: body.byteLength }));
  }

  async get(key: string): Promise<StoredObject | null> {
    try {
      const answer = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { body: await answer.Body!.transformToByteArray(), metadata: answer.Metadata ?? {} };
    } catch (error) {
      if (error instanceof NoSuchKey || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) return null;
      throw error;
    }
  }

  // ListObjects (v1) paged by marker, the last key seen: R2 serves it, and s3rver's v2 continuation
  // tokens are DES-encrypted, which OpenSSL 3 (Node 17+) refuses, so a second v2 page there fails.
  async *list(prefix: string, startAfter?: string): AsyncIterable<ListedObject> {
    let marker = startAfter;
    for (;;) {
      const page = await this.#s3.send(new ListObjectsCommand({ Bucket: this.#bucket, Prefix: prefix, ...(marker === undefined ? {} : { Marker: marker }) }));
      for (const object of page.Contents ?? []) yield { key: object.Key!, size: object.Size ?? 0 };
      const last = page.Contents?.at(-1)?.Key;
      if (!page.IsTruncated || last === undefined) return;
      marker = last;
    }
  }

  destroy(): void {
    this.#s3.destroy();
  }
}
