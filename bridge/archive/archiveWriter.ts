import { createHash } from 'node:crypto';
import { archiveKey, archivePrefix, dayOf, parseArchiveKey } from './keys';
import { inTurns } from './inTurns';
import type { ObjectStore } from './objectStore';
import type { ParquetCodec } from './parquet';
import type { ArchiveRow } from './rows';

/** Uploads at once per flush: enough to hide an object store's latency, few enough for its rate limits. */
const CONCURRENCY = 8;

export type WrittenFiles = { files: number; events: number; bytes: number; skippedEvents: number };
/** One file to write: a stream's rows of one UTC day, contiguous. */
export type PlannedFile = { day: string; stream: string; rows: ArchiveRow[] };
/** A file as declared before its upload: the key it gets. */
export type PlannedRange = { day: string; stream: string; from: number; to: number };
export const rangeOf = (file: PlannedFile): PlannedRange => ({ day: file.day, stream: file.stream, from: file.rows[0]!.version, to: file.rows.at(-1)!.version });

/**
 * Writes a partition's buffered rows as files of one stream and one UTC day each, in version
 * order (ADR 0025). A file is never rewritten: its key names its versions, and before the first
 * write of a stream and day since this replica took the partition, the bucket is listed, so what
 * an earlier owner wrote after its last commit (it died before committing) is not written again.
 */
export class ArchiveWriter {
  readonly #store: ObjectStore;
  readonly #codec: ParquetCodec;
  /** `day|stream` → the highest version the bucket holds for it, learned once per ownership. */
  readonly #archivedTo = new Map<string, number>();

  constructor(store: ObjectStore, codec: ParquetCodec) {
    this.#store = store;
    this.#codec = codec;
  }

  /**
   * The files a flush writes: `rows` (each stream's, in version order, contiguous) cut into one
   * file per stream and UTC day, and at the boundaries of `pinned` (files an earlier owner declared
   * and may have written: written again under the same keys, never overlapping them), less what the
   * bucket already holds.
   */
  async plan(rows: ReadonlyMap<string, readonly ArchiveRow[]>, pinned: readonly PlannedRange[] = []): Promise<{ files: PlannedFile[]; skippedEvents: number }> {
    const pinOf = (day: string, stream: string, version: number) => pinned.findIndex((p) => p.day === day && p.stream === stream && p.from <= version && version <= p.to);
    const groups: (PlannedFile & { pin: number })[] = [];
    for (const [stream, streamRows] of rows) {
      for (const row of streamRows) {
        const day = dayOf(row.occurred_at);
        const pin = pinOf(day, stream, row.version);
        const last = groups.at(-1);
        if (last?.stream === stream && last.day === day && last.pin === pin) last.rows.push(row);
        else groups.push({ day, stream, pin, rows: [row] });
      }
    }
    // What it knows of days before the oldest it writes now is not needed again (bounded memory).
    const oldest = groups.reduce((min, g) => (g.day < min ? g.day : min), groups[0]?.day ?? '');
    for (const key of this.#archivedTo.keys()) if (key.slice(0, key.indexOf('|')) < oldest) this.#archivedTo.delete(key);
    let skippedEvents = 0;
    // What the bucket has already (a stream and day first written since this replica took the partition is listed).
    const fresh = await inTurns(groups, CONCURRENCY, async ({ day, stream, rows: groupRows }) => {
      const known = await this.#archivedThrough(day, stream);
      const kept = groupRows.filter((r) => r.version > known);
      skippedEvents += groupRows.length - kept.length;
      return { day, stream, rows: kept };
    });
    return { files: fresh.filter((f) => f.rows.length > 0), skippedEvents };
  }

  /** Encodes the files in one go and uploads them; `owned`: whether the partition is still this replica's (once not, nothing more is uploaded). */
  async upload(files: readonly PlannedFile[], owned: () => boolean = () => true): Promise<WrittenFiles> {
    const written: WrittenFiles = { files: 0, events: 0, bytes: 0, skippedEvents: 0 };
    const bodies = await this.#codec.writeMany(files.map((f) => f.rows));
    await inTurns(files, CONCURRENCY, async (file, i) => {
      if (!owned()) throw new Error('the partition is no longer this replica\'s: its new owner archives it');
      await this.#upload(file, bodies[i]!);
      written.files++;
      written.events += file.rows.length;
      written.bytes += bodies[i]!.byteLength;
    });
    return written;
  }

  /** `plan` then `upload`, for a writer alone on its keys. */
  async write(rows: ReadonlyMap<string, readonly ArchiveRow[]>, owned: () => boolean = () => true): Promise<WrittenFiles> {
    const { files, skippedEvents } = await this.plan(rows);
    return { ...(await this.upload(files, owned)), skippedEvents };
  }

  async #upload(group: { day: string; stream: string; rows: readonly ArchiveRow[] }, body: Uint8Array): Promise<void> {
    const from = group.rows[0]!.version;
    const to = group.rows.at(-1)!.version;
    const key = `${group.day}|${group.stream}`;
    try {
      await this.#store.put(archiveKey({ date: group.day, stream: group.stream, from, to }), body, {
        sha256: createHash('sha256').update(body).digest('hex'),
        events: String(group.rows.length),
      });
    } catch (error) {
      // It may have landed all the same (the answer was lost): the bucket is asked again before the retry.
      this.#archivedTo.delete(key);
      throw error;
    }
    this.#archivedTo.set(key, Math.max(to, this.#archivedTo.get(key) ?? 0));
  }

  async #archivedThrough(day: string, stream: string): Promise<number> {
    const key = `${day}|${stream}`;
    let known = this.#archivedTo.get(key);
    if (known === undefined) {
      known = 0;
      for await (const object of this.#store.list(archivePrefix(day, stream))) known = Math.max(known, parseArchiveKey(object.key)?.to ?? 0);
      this.#archivedTo.set(key, known);
    }
    return known;
  }
}
