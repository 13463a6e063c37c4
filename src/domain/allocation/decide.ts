import { skuStream } from '../core/vectorClock';
import { DEFAULT_LOCATION } from '../sku/locations';
import type { SagaCommand, SagaMessage, WmsAnswer } from './messages';
import { locationKey, referenceAfterResourcing, sameLocation, wmsLocation } from './reference';
import { FAILOVER_NOTE, mayFailOver, triedOf } from './failover';
import { allocateSent, cancelled, dueLeftBehind, leftBehindCancelled, leftBehindFailed } from './cancels';
import { leaseMs, referenceOf, type AllocationSaga, type LeftBehind, type SagaPolicy, type WmsReleaseReason } from './saga';
import { backoff, due, note, wait } from './steps';

export type SagaDecision = { saga: AllocationSaga | null; commands: SagaCommand[] };

/**
 * The allocation saga as a workflow decider: (saga, message) → (saga, commands). Pure: the clock
 * comes in as `now`, the SOAP and edge calls go out as commands for an executor. Every command is
 * idempotent (the WMS by reservation id, the SKU object by its own rules), so re-issuing one after
 * a crash or a lost reply is always safe; the saga's job is to never stop before both sides agree.
 */
export function decideSaga(saga: AllocationSaga | null, message: SagaMessage, policy: SagaPolicy, now: number): SagaDecision {
  const next = saga ? react(sent(saga, message, policy, now), message, policy, now) : start(message, now);
  if (!next) return { saga: null, commands: [] };
  return issue(overdue(next, now), policy, now);
}

/**
 * A saga begins with the reservation; any other message about an unknown reservation is not its
 * business. It allocates at once, whenever it reads the reservation: the deadline starts with
 * that first attempt (see `issue`), so a reservation read late, after an outage of the bridge,
 * is still offered to the WMS (invariant no-sale-undone-by-our-outage).
 */
function start(message: SagaMessage, now: number): AllocationSaga | null {
  if (message.type !== 'Reserved') return null;
  return {
    reservationId: message.reservationId,
    sku: message.sku,
    qty: message.qty,
    reservedVersion: message.version,
    startedAt: message.at,
    firstAttemptAt: null,
    deadline: null,
    phase: 'allocating',
    stuckIn: null,
    allocationId: null,
    releaseWanted: null,
    releasedAs: null,
    wmsMayHold: false,
    completed: false,
    attempts: 0,
    nextAttemptAt: now,
    lastError: null,
    allocateFailures: 0,
    updatedAt: now,
    notes: [],
    location: message.location ?? DEFAULT_LOCATION,
    reference: null,
    resourcings: 0,
    resourcedSeen: 0,
    resourcedVersion: 0,
    visited: [],
    leftBehind: [],
    lastAllocateAt: null,
    finalCancelAt: null,
    failoverAsked: false,
  };
}

/** A reply to an AllocateStock says when it really left: the late-landing bound moves to it (cancels.ts). */
function sent(saga: AllocationSaga, m: SagaMessage, policy: SagaPolicy, now: number): AllocationSaga {
  const allocate = m.type === 'WmsAnswered' || (m.type === 'CallFailed' && m.command === 'Allocate');
  if (!allocate || m.sentAt === undefined) return saga;
  return allocateSent(saga, m.reference ?? referenceOf(saga), m.sentAt, policy, now);
}

function react(s: AllocationSaga, m: SagaMessage, policy: SagaPolicy, now: number): AllocationSaga {
  const saga = { ...s, updatedAt: now };
  switch (m.type) {
    case 'Reserved':
    case 'Tick':
      return s;
    case 'AllocationConfirmed':
      // After a re-sourcing, only the allocation at the new location: a Confirm that crossed the re-sourcing named the old one.
      if (s.releasedAs || (s.resourcings > 0 && m.allocationId !== s.allocationId)) return s;
      return { ...wait(saga, 'allocated'), allocationId: m.allocationId, wmsMayHold: true };
    case 'Completed':
      // A sale is not released for the WMS's silence: a wms_timeout release not yet granted is withdrawn.
      if (s.phase === 'releasing' && s.releaseWanted === 'wms_timeout') return allocateAgain({ ...saga, completed: true }, 'the purchase completed before the wms_timeout release: allocating again', now);
      return { ...saga, completed: true };
    case 'Released':
      return released(saga, m.reason, now);
    case 'Resourced':
      return resourced(s, saga, m, now);
    case 'WmsAnswered':
      // An answer about the allocation at a location the reservation left: its cancel takes care of it.
      if (m.reference !== undefined && m.reference !== referenceOf(s)) return s;
      return answered(saga, m.answer, now);
    // A reply speaks for the phase that issued its command. Replies and SKU events travel apart,
    // so a buyer's cancel can be read before the reply to the confirmation that preceded it: the
    // saga has moved on (cancelling, done) and must not be pulled back to allocated by it.
    case 'ConfirmAnswered':
      if (s.phase !== 'confirming' || (m.allocationId !== undefined && m.allocationId !== s.allocationId)) return s;
      if (m.outcome === 'confirmed') return wait(saga, 'allocated');
      if (m.outcome === 'released') return released(saga, m.reason, now);
      return stuck(saga, `the SKU object refused the confirmation: ${m.outcome}`, now);
    case 'ReleaseAnswered':
      if (s.phase !== 'releasing') return s;
      if (m.outcome === 'released') return released(saga, saga.releaseWanted ?? 'wms_timeout', now);
      // The purchase completed before our release (its event may still be on its way): the
      // object keeps a sale the WMS did not refuse, so the saga goes back to asking it.
      if (m.outcome === 'completed') return allocateAgain({ ...saga, completed: true }, 'the SKU object kept the completed purchase (no wms_timeout release): allocating again', now);
      // The confirmation of an earlier attempt landed first: the object and the WMS agree on allocated.
      if (m.outcome === 'allocated') return wait(saga, 'allocated');
      // Another location took it: the ReservationResourced in the log moves the saga there.
      if (m.outcome === 'resourced') return note(wait(saga, 'releasing'), `the SKU object moved the reservation to ${m.to}: waiting for its event`, now);
      return stuck(saga, 'the SKU object does not know the reservation', now);
    case 'CancelAnswered':
      if (m.reference !== undefined && m.reference !== referenceOf(s)) return leftBehindCancelled(s, saga, m.reference, m.sentAt ?? now, policy, now);
      return cancelled(saga, m.sentAt ?? now, policy, now);
    case 'CallFailed':
      if (m.reference !== undefined && m.reference !== referenceOf(s)) return leftBehindFailed(s, saga, m.reference, m.error, policy, now);
      return failed(saga, m.command, m.error, policy, now);
    case 'Retry':
      return s.phase === 'stuck' ? due({ ...saga, phase: s.stuckIn ?? 'allocating', stuckIn: null }, now) : due(saga, now);
    case 'Resumed':
      return resumed(s, saga, now);
    default: {
      const exhaustive: never = m;
      return exhaustive;
    }
  }
}

/** What the WMS said about the reservation, whichever call asked. */
function answered(saga: AllocationSaga, answer: WmsAnswer, now: number): AllocationSaga {
  switch (answer.status) {
    case 'allocated': {
      const holding = { ...saga, allocationId: answer.allocationId, wmsMayHold: true };
      if (saga.releasedAs) return note(due({ ...holding, phase: 'cancelling' }, now), 'WMS allocated after the release: cancelling there', now);
      return due({ ...holding, phase: 'confirming' }, now);
    }
    case 'rejected':
      // An earlier AllocateStock left unanswered may still land where no tombstone refuses it (ADR 0017): cancelled after the release.
      return compensate({ ...saga, wmsMayHold: saga.allocateFailures > 0, lastError: `WMS rejected: ${answer.reason}` }, 'wms_rejected', now);
    case 'cancelled':
      // A re-sourced reference cancelled before the saga used it was guessed (a reopened saga back at a location it had left): a fresh one.
      if (saga.reference !== null && saga.releasedAs === null) return freshReference(saga, now);
      // Nothing is held at the WMS, and a cancelled record refuses any later allocation.
      return compensate({ ...saga, wmsMayHold: false }, 'wms_rejected', now);
    case 'not_found':
      // The WMS is back and never saw it: a completed purchase is offered again, at once.
      if (keepsAllocating(saga)) return isAllocating(saga) ? due(saga, now) : saga;
      // Never allocated as far as the WMS knows, but a request may still be in flight inside it:
      // the cancel that follows the release leaves a tombstone that refuses it.
      return compensate({ ...saga, wmsMayHold: true }, 'wms_timeout', now);
    default: {
      const exhaustive: never = answer;
      return exhaustive;
    }
  }
}

/**
 * A new owner cannot know whether the last one's attempts reached the WMS (it may have died with
 * them queued): the deadline of a saga still allocating starts again from the new owner's first
 * attempt, so our own crash or rebalance never eats it (invariant no-sale-undone-by-our-outage). The hold's TTL still bounds it.
 */
function resumed(s: AllocationSaga, saga: AllocationSaga, now: number): AllocationSaga {
  // The last owner's AllocateStock may still land: a rejection of the next one is then no proof that nothing is held (ADR 0017).
  const unanswered = isAllocating(s) && s.lastAllocateAt !== null ? { allocateFailures: s.allocateFailures + 1 } : {};
  if (s.phase !== 'allocating' || s.firstAttemptAt === null) return unanswered.allocateFailures === undefined ? s : { ...saga, ...unanswered };
  return note({ ...saga, ...unanswered, firstAttemptAt: null, deadline: null }, 'taken over by another owner: the allocation deadline counts from its first attempt', now);
}

/**
 * The reservation's units moved to another location (ADR 0015): what the WMS holds, or may take,
 * at the old one is cancelled there on its own clock (`leftBehind`), while the allocation starts
 * over at the new one under its own reference (a cancelled reference refuses any later
 * AllocateStock). A released reservation is never re-sourced; a redelivered event is a no-op.
 */
function resourced(s: AllocationSaga, saga: AllocationSaga, m: Extract<SagaMessage, { type: 'Resourced' }>, now: number): AllocationSaga {
  if (s.releasedAs !== null || s.phase === 'done' || s.phase === 'cancelling' || sameLocation(m.to, s.location)) return s;
  if (m.version !== undefined && m.version <= s.resourcedVersion) return s;
  const leaving: LeftBehind[] = s.wmsMayHold ? [{ reference: referenceOf(s), location: s.location, attempts: 0, nextAttemptAt: now, lastAllocateAt: s.lastAllocateAt }] : [];
  const resourcings = s.resourcings + 1;
  const visited = [...new Set([...s.visited, locationKey(s.location)])];
  const reference = referenceAfterResourcing(s.reservationId, m.to, resourcings, visited);
  const moved: AllocationSaga = {
    ...saga,
    location: m.to,
    reference,
    resourcings,
    resourcedSeen: s.resourcedSeen === null ? null : s.resourcedSeen + 1,
    resourcedVersion: m.version ?? s.resourcedVersion,
    visited,
    leftBehind: [...s.leftBehind, ...leaving],
    completed: s.completed || m.completed,
    allocationId: null,
    wmsMayHold: false,
    lastAllocateAt: null,
    releaseWanted: null,
    stuckIn: null,
    lastError: null,
    // A new allocation: its deadline counts from its own first attempt (invariant no-sale-undone-by-our-outage),
    // and may fail over again.
    firstAttemptAt: null,
    deadline: null,
    failoverAsked: false,
  };
  const cancelling = leaving.length > 0 ? `cancelling ${leaving[0]!.reference} there, ` : '';
  return note(due({ ...moved, phase: 'allocating' }, now), `re-sourced from ${m.from} to ${m.to}: ${cancelling}allocating as ${reference}`, now);
}

function freshReference(saga: AllocationSaga, now: number): AllocationSaga {
  const resourcings = saga.resourcings + 1;
  const visited = [...new Set([...saga.visited, locationKey(saga.location)])];
  const reference = referenceAfterResourcing(saga.reservationId, saga.location, resourcings, visited);
  const why = `the WMS had ${referenceOf(saga)} cancelled already (used before at this location): allocating as ${reference}`;
  return note(due({ ...saga, reference, resourcings, visited, wmsMayHold: false, lastAllocateAt: null, phase: 'allocating' }, now), why, now);
}

function allocateAgain(saga: AllocationSaga, why: string, now: number): AllocationSaga {
  return note(due({ ...saga, phase: 'allocating', releaseWanted: null }, now), why, now);
}

function compensate(saga: AllocationSaga, reason: WmsReleaseReason, now: number): AllocationSaga {
  if (saga.releasedAs) return saga.wmsMayHold ? due({ ...saga, phase: 'cancelling' }, now) : wait(saga, 'done');
  return due({ ...saga, phase: 'releasing', releaseWanted: reason }, now);
}

function released(saga: AllocationSaga, reason: AllocationSaga['releasedAs'] & string, now: number): AllocationSaga {
  if (saga.phase === 'done' || saga.phase === 'cancelling') return { ...saga, releasedAs: saga.releasedAs ?? reason };
  const withReason = { ...saga, releasedAs: reason };
  return withReason.wmsMayHold ? due({ ...withReason, phase: 'cancelling' }, now) : wait(withReason, 'done');
}

function failed(saga: AllocationSaga, command: SagaCommand['type'], error: string, policy: SagaPolicy, now: number): AllocationSaga {
  const attempts = saga.attempts + 1;
  const allocateFailures = saga.allocateFailures + (command === 'Allocate' ? 1 : 0);
  const withError = { ...saga, attempts, allocateFailures, lastError: `${command}: ${error}` };
  // An AllocateStock's failure read after the saga moved on (released, cancelling): counted, its phase's clock untouched.
  if (command === 'Allocate' && !isAllocating(saga)) return { ...withError, attempts: saga.attempts };
  // The last word on an unanswered allocation of a held reservation: compensate, and cancel in
  // case it lands late. A completed purchase is never released for the WMS's silence (invariant no-sale-undone-by-our-outage).
  if (command === 'GetAllocation' && !keepsAllocating(saga)) return compensate({ ...withError, wmsMayHold: true, attempts: 0 }, 'wms_timeout', now);
  const retryAt = now + backoff(attempts, policy);
  // A held reservation's retries stop at the deadline, where GetAllocation decides.
  const capped = saga.phase === 'allocating' && !saga.completed && saga.deadline !== null;
  return { ...withError, nextAttemptAt: capped ? Math.min(retryAt, saga.deadline!) : retryAt };
}

/**
 * A completed purchase past its deadline first asks, once, to move to another warehouse's location
 * (`failover.ts`); where none can take it, it turns `overdue`: no GetAllocation and no
 * compensation, AllocateStock again with capped backoff until the WMS answers or an operator decides.
 */
function overdue(saga: AllocationSaga, now: number): AllocationSaga {
  if (saga.phase !== 'allocating' || !saga.completed || !pastDeadline(saga, now)) return saga;
  if (mayFailOver(saga)) return note(due({ ...saga, phase: 'releasing', releaseWanted: 'wms_timeout', failoverAsked: true }, now), FAILOVER_NOTE, now);
  const late = { ...saga, phase: 'overdue' as const, updatedAt: now };
  return note(late, 'completed purchase past its allocation deadline: asking the WMS until it answers (sagas retry; an admin release refunds it)', now);
}

/** A sale the WMS has not refused: it is allocated, never compensated, however long the WMS is silent. */
const keepsAllocating = (saga: AllocationSaga): boolean => saga.completed && saga.releasedAs === null;
const isAllocating = (saga: AllocationSaga): boolean => saga.phase === 'allocating' || saga.phase === 'overdue';
const pastDeadline = (saga: AllocationSaga, now: number): boolean => saga.firstAttemptAt !== null && saga.deadline !== null && now >= saga.deadline;

/** The phase's command and the cancels at locations left behind, each if due, leased so a tick does not issue it twice. */
function issue(saga: AllocationSaga, policy: SagaPolicy, now: number): SagaDecision {
  const phase = issuePhase(saga, policy, now);
  const left = dueLeftBehind(phase.saga!, policy, now);
  return { saga: left.saga, commands: [...phase.commands, ...left.commands] };
}

function issuePhase(saga: AllocationSaga, policy: SagaPolicy, now: number): SagaDecision {
  if (saga.nextAttemptAt === null || saga.nextAttemptAt > now) return { saga, commands: [] };
  const command = commandFor(saga, now);
  if (!command) return { saga: { ...saga, nextAttemptAt: null }, commands: [] };
  const leased = { ...saga, nextAttemptAt: now + leaseMs(policy) };
  return { saga: command.type === 'Allocate' ? { ...firstAttempt(leased, policy, now), wmsMayHold: true, lastAllocateAt: now } : leased, commands: [command] };
}

/** The first AllocateStock starts the deadline: the WMS is always asked before anything is concluded from its silence. */
function firstAttempt(saga: AllocationSaga, policy: SagaPolicy, now: number): AllocationSaga {
  return saga.firstAttemptAt !== null ? saga : { ...saga, firstAttemptAt: now, deadline: now + policy.deadlineMs };
}

function commandFor(saga: AllocationSaga, now: number): SagaCommand | null {
  const { reservationId, sku } = saga;
  const reference = referenceOf(saga);
  const causedBy = { [skuStream(sku)]: saga.reservedVersion };
  const location = wmsLocation(saga.location);
  const atWms = location === undefined ? {} : { location };
  const allocate: SagaCommand = { type: 'Allocate', reservationId, reference, sku, qty: saga.qty, ...atWms };
  // Verdicts name the location (a saga from before locations names none: its units are where it always asked),
  // and the re-sourcings read, when known: the SKU object refuses one decided before its latest re-sourcing.
  const at = { ...(saga.location === null ? {} : { location: saga.location }), ...(saga.resourcedSeen === null ? {} : { resourcings: saga.resourcedSeen }) };
  switch (saga.phase) {
    case 'allocating':
      return pastDeadline(saga, now) ? { type: 'GetAllocation', reservationId, reference, ...atWms } : allocate;
    case 'overdue':
      return allocate;
    case 'confirming':
      return { type: 'Confirm', sku, reservationId, allocationId: saga.allocationId!, reference, causedBy, ...at };
    case 'releasing':
      return { type: 'Release', sku, reservationId, reason: saga.releaseWanted!, causedBy, ...at, ...triedOf(saga) };
    case 'cancelling':
      return { type: 'Cancel', reservationId, reference, ...atWms };
    default:
      return null;
  }
}


function stuck(saga: AllocationSaga, why: string, now: number): AllocationSaga {
  return note({ ...wait(saga, 'stuck'), stuckIn: saga.phase, lastError: why }, why, now);
}
