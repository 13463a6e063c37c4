/**
 * Where an event stands against the last version a consumer applied for its SKU. The log is
 * at-least-once and a producer restart can re-send, so duplicates are normal; a gap means the log
 * lacks events the Durable Object committed, and the consumer must fetch them before going on.
 */
export type Placement = 'duplicate' | 'next' | 'gap';

export const place = (lastApplied: number, version: number): Placement =>
  version <= lastApplied ? 'duplicate' : version === lastApplied + 1 ? 'next' : 'gap';
