/**
 * Typed refusals of an append, so a caller can tell "this record can never fit" (do not retry
 * it) from "the log is saturated" (retry later: 503 overloaded) from anything else (the log did
 * not acknowledge: retry).
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
