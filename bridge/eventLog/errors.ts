import type { TopicFinding } from './port';

/**
 * Typed refusals. Of an append, so a caller can tell "this record can never fit" (do not retry
 * it) from "the log is saturated" (retry later: 503 overloaded) from anything else (the log did
 * not acknowledge: retry). Of a start, for topics that do not fit the bridge.
 */

/** A record larger than the topic's max message size: refused before it is sent, alone. */
export class RecordTooLargeError extends Error {
  override readonly name = 'RecordTooLargeError';
  constructor(
    readonly topic: string,
    readonly key: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a record of ${bytes} bytes for key ${JSON.stringify(key)} exceeds the ${limit}-byte message limit of ${topic}`);
  }
}

/** The produce queue is full (the log is slow or away): refused at once instead of queued. */
export class LogOverloadedError extends Error {
  override readonly name = 'LogOverloadedError';
  constructor(readonly retryAfterSeconds: number) {
    super('the produce queue is full: the event log is not keeping up');
  }
}

/** A partition's state was written by a newer owner (or the partition moved): this replica must stop working on it. */
export class OwnershipLostError extends Error {
  override readonly name = 'OwnershipLostError';
  constructor(
    readonly partition: number,
    options?: { cause?: unknown },
  ) {
    super(`partition ${partition} is owned by another replica now`, options);
  }
}

/**
 * Existing topics that would break ordering or ownership (docs/adr/0005-kafka-topic-settings.md):
 * the bridge does not start, and a retry would not help, so it is not retried.
 */
export class TopicSettingsError extends Error {
  override readonly name = 'TopicSettingsError';
  constructor(readonly findings: readonly TopicFinding[]) {
    const list = findings.map((f) => `  - ${f.message}`).join('\n');
    super(`the topics do not have the settings the bridge needs; it will not start until they are fixed:\n${list}`);
  }
}
