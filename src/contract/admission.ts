/**
 * Admission control on the wire: the Worker stamps each command with a ticket, and an object that
 * got it too late answers `overloaded` (the rules are in `durable-objects/sku/admission.ts`).
 */

/** Stamped by the Worker on each command it sends; `maxWaitMs` is how long it may queue. */
export type Ticket = { sentAt: number; maxWaitMs: number };

/** Invariant overload-is-an-answer: a saturated object answers 503 with when to come back, never 500. */
export type Overloaded = { code: 'overloaded'; retryAfterSeconds: number };
