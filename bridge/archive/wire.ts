import { z } from 'zod';

/** What `GET /admin/archive` answers: the bucket, this replica's archiver, and who archives which partitions. */
export const ArchiveReportSchema = z.object({
  bucket: z.string(),
  status: z
    .object({
      partitions: z.array(z.int()),
      streams: z.int(),
      pendingEvents: z.int(),
      oldestPendingAt: z.number().nullable(),
      filesWritten: z.int(),
      eventsArchived: z.int(),
      bytesWritten: z.int(),
      snapshotsWritten: z.int(),
      lastFlushAt: z.number().nullable(),
      lastSnapshotAt: z.number().nullable(),
    })
    .nullable(),
  members: z.array(z.object({ endpoint: z.string(), partitions: z.array(z.int()) })),
});
export type ArchiveReport = z.infer<typeof ArchiveReportSchema>;

/** What `POST /admin/archive/snapshots` answers: each replica's snapshot keys, and the replicas that could not be asked. */
export const SnapshotsTakenSchema = z.object({
  taken: z.array(z.object({ endpoint: z.string().nullable(), keys: z.array(z.string()) })),
  unreachable: z.array(z.string()),
});
export type SnapshotsTaken = z.infer<typeof SnapshotsTakenSchema>;
