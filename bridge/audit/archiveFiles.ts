import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ARCHIVE_PREFIX, parseArchiveKey, type ArchiveFile } from '../archive/keys';
import type { ListedObject, ObjectStore } from '../archive/objectStore';
import type { Days } from './window';

/** Where `inventory audit` keeps the files it downloaded, unless told otherwise (`--cache`). */
export const DEFAULT_CACHE_DIR = '.data/audit-cache';
/** Downloads at once: enough to hide the store's latency, few enough for its rate limits. */
const CONCURRENCY = 4;

/** Which files to read: one SKU's or every SKU's, of the days given. */
export type ArchiveSelection = { sku?: string | undefined; days: Days };

/** A bar for the downloads (the CLI's on a terminal); `tick` once per file. */
export type DownloadProgress = { tick(label: string): void; stop(): void };

export type FetchOptions = {
  cacheDir: string;
  /** Called once the files to download are known (not called when every one is cached). */
  progress?: ((total: number) => DownloadProgress) | undefined;
};

export type FetchedFiles = {
  /** The local copies, in key order. */
  paths: string[];
  /** Listed files the selection kept, of which `downloaded` were fetched now and the rest were cached. */
  selected: number;
  downloaded: number;
  bytesDownloaded: number;
};

/** The bucket could not be read (unreachable, refused the keys, no such bucket): `where` names bucket and endpoint. */
export class ArchiveReadError extends Error {
  override readonly name = 'ArchiveReadError';
  constructor(
    readonly where: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`could not read the archive bucket ${where}: ${reason}`, options);
  }
}

type Selected = ListedObject & { file: ArchiveFile };

/**
 * The archive files a query needs, as local paths. Files are chosen by key alone (date and SKU
 * partitions) before anything is downloaded; a key names its versions and is never rewritten, so
 * a file already in the cache with the listed size is that file and is not fetched again.
 */
export async function fetchArchiveFiles(store: ObjectStore, selection: ArchiveSelection, options: FetchOptions): Promise<FetchedFiles> {
  const selected = await selectArchiveFiles(store, selection);
  const missing: Selected[] = [];
  for (const object of selected) if (!(await isCached(localPath(options.cacheDir, object.key), object.size))) missing.push(object);
  const bar = missing.length > 0 ? options.progress?.(missing.length) : undefined;
  let bytesDownloaded = 0;
  const queue = [...missing];
  try {
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        for (let object = queue.shift(); object; object = queue.shift()) {
          bytesDownloaded += await download(store, object.key, localPath(options.cacheDir, object.key));
          bar?.tick(`${object.file.date} ${object.file.stream}`);
        }
      }),
    );
  } finally {
    bar?.stop();
  }
  return { paths: selected.map((object) => localPath(options.cacheDir, object.key)), selected: selected.length, downloaded: missing.length, bytesDownloaded };
}

/**
 * The listed files of the selection, in key order. Keys start with their date, so the listing
 * starts at the first day and stops after the last: a day's window lists that day's keys only.
 */
export async function selectArchiveFiles(store: ObjectStore, { sku, days }: ArchiveSelection): Promise<Selected[]> {
  const selected: Selected[] = [];
  const startAfter = days.first === null ? undefined : `${ARCHIVE_PREFIX}date=${days.first}`;
  try {
    for await (const object of store.list(ARCHIVE_PREFIX, startAfter)) {
      const file = parseArchiveKey(object.key);
      if (file === null) continue;
      if (days.last !== null && file.date > days.last) break;
      if (days.first !== null && file.date < days.first) continue;
      if (sku !== undefined && file.sku !== sku) continue;
      selected.push({ ...object, file });
    }
  } catch (error) {
    throw new ArchiveReadError(store.where, reasonOf(error), { cause: error });
  }
  return selected;
}

/** The cache mirrors the bucket's keys (every part of a key parsed is `name=value` or a version range: no `..`). */
const localPath = (cacheDir: string, key: string): string => join(cacheDir, ...key.split('/'));

async function isCached(path: string, size: number): Promise<boolean> {
  try {
    return (await stat(path)).size === size;
  } catch {
    return false;
  }
}

/** Written beside and renamed into place: an interrupted download never leaves a file that looks complete. */
async function download(store: ObjectStore, key: string, path: string): Promise<number> {
  let object;
  try {
    object = await store.get(key);
  } catch (error) {
    throw new ArchiveReadError(store.where, `${key}: ${reasonOf(error)}`, { cause: error });
  }
  if (object === null) throw new ArchiveReadError(store.where, `${key} was listed but is gone`);
  await mkdir(dirname(path), { recursive: true });
  const part = `${path}.${process.pid}.part`;
  try {
    await writeFile(part, object.body);
    await rename(part, path);
  } finally {
    await rm(part, { force: true });
  }
  return object.body.byteLength;
}

/** What went wrong, in one line: the S3 error's code and message, or the socket's (a refused connection has an empty message). */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const nested = error instanceof AggregateError ? error.errors.find((e): e is Error => e instanceof Error) : undefined;
  const parts = [error.name !== 'Error' ? error.name : '', typeof code === 'string' ? code : '', error.message || nested?.message || ''];
  return [...new Set(parts.filter(Boolean))].join(': ') || 'unknown error';
}
