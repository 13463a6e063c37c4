/**
 * The archiver's table (compacted, partitioned like the events): per stream the state as far as
 * archived, per partition the offset the archive covers. Written by the partition's owner only,
 * after the files holding those events are in the bucket (ADR 0025).
 */
export const ARCHIVE_STATE_TOPIC = 'inventory.archive-state';
