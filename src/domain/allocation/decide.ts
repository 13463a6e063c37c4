import { skuStream } from '../core/vectorClock';
import type { SagaCommand, SagaMessage, WmsAnswer } from './messages';
import { MAX_NOTES, type AllocationSaga, type SagaPhase, type SagaPolicy, type WmsReleaseReason } from './saga';

export type SagaDecision = { saga: AllocationSaga | null; commands: SagaCommand[] };

/**
 * The allocation saga as a workflow decider: (saga, message) → (saga, commands). Pure: the clock
 * comes in as `now`, the SOAP and edge calls go out as commands for an executor. Every command is
 * idempotent (the WMS by reservation id, the SKU object by its own rules), so re-issuing one after
 * a crash or a lost reply is always safe; the saga's job is to never stop before both sides agree.
 */
export function decideSaga(saga: AllocationSaga | null, message: SagaMessage, policy: SagaPolicy, now: number): SagaDecision {
  const next = saga ? react(saga, message, policy, now) : start(message, now);
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
    updatedAt: now,
    notes: [],
  };
}

function react(s: AllocationSaga, m: SagaMessage, policy: SagaPolicy, now: number): AllocationSaga {
  const saga = { ...s, updatedAt: now };
  switch (m.type) {
    case 'Reserved':
    case 'Tick':
      return s;
    case 'AllocationConfirmed':
      if (s.releasedAs) return s;
      return { ...wait(saga, 'allocated'), allocationId: m.allocationId, wmsMayHold: true };
    case 'Completed':
      // A sale is not released for the WMS's silence: a wms_timeout release not yet granted is withdrawn.
      if (s.phase === 'releasing' && s.releaseWanted === 'wms_timeout') return allocateAgain({ ...saga, completed: true }, 'the purchase completed before the wms_timeout release: allocating again', now);
      return { ...saga, completed: true };
    case 'Released':
      return released(saga, m.reason, now);
    case 'WmsAnswered':
      return answered(saga, m.answer, now);
    // A reply speaks for the phase that issued its command. Replies and SKU events travel apart,
    // so a buyer's cancel can be read before the reply to the confirmation that preceded it: the
    // saga has moved on (cancelling, done) and must not be pulled back to allocated by it.
    case 'ConfirmAnswered':
      if (s.phase !== 'confirming') return s;
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
      return stuck(saga, 'the SKU object does not know the reservation', now);
    case 'CancelAnswered':
      return { ...wait(saga, 'done'), wmsMayHold: false };
    case 'CallFailed':
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
    case 'cancelled':
      // Nothing is held at the WMS, and a cancelled record refuses any later allocation.
      return compensate({ ...saga, wmsMayHold: false, lastError: answer.status === 'rejected' ? `WMS rejected: ${answer.reason}` : saga.lastError }, 'wms_rejected', now);
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
  if (s.phase !== 'allocating' || s.firstAttemptAt === null) return s;
  return note({ ...saga, firstAttemptAt: null, deadline: null }, 'taken over by another owner: the allocation deadline counts from its first attempt', now);
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
  const withError = { ...saga, attempts, lastError: `${command}: ${error}` };
  // The last word on an unanswered allocation of a held reservation: compensate, and cancel in
  // case it lands late. A completed purchase is never released for the WMS's silence (invariant no-sale-undone-by-our-outage).
  if (command === 'GetAllocation' && !keepsAllocating(saga)) return compensate({ ...withError, wmsMayHold: true, attempts: 0 }, 'wms_timeout', now);
  const retryAt = now + Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.min(attempts - 1, 20));
  // A held reservation's retries stop at the deadline, where GetAllocation decides.
  const capped = saga.phase === 'allocating' && !saga.completed && saga.deadline !== null;
  return { ...withError, nextAttemptAt: capped ? Math.min(retryAt, saga.deadline!) : retryAt };
}

/**
 * A completed purchase past its deadline turns `overdue`: no GetAllocation and no compensation,
 * AllocateStock again with capped backoff until the WMS answers or an operator decides.
 */
function overdue(saga: AllocationSaga, now: number): AllocationSaga {
  if (saga.phase !== 'allocating' || !saga.completed || !pastDeadline(saga, now)) return saga;
  const late = { ...saga, phase: 'overdue' as const, updatedAt: now };
  return note(late, 'completed purchase past its allocation deadline: asking the WMS until it answers (sagas retry; an admin release refunds it)', now);
}

/** A sale the WMS has not refused: it is allocated, never compensated, however long the WMS is silent. */
const keepsAllocating = (saga: AllocationSaga): boolean => saga.completed && saga.releasedAs === null;
const isAllocating = (saga: AllocationSaga): boolean => saga.phase === 'allocating' || saga.phase === 'overdue';
const pastDeadline = (saga: AllocationSaga, now: number): boolean => saga.firstAttemptAt !== null && saga.deadline !== null && now >= saga.deadline;

/** Issues the phase's command if it is due, and leases it so a tick does not issue it twice. */
function issue(saga: AllocationSaga, policy: SagaPolicy, now: number): SagaDecision {
  if (saga.nextAttemptAt === null || saga.nextAttemptAt > now) return { saga, commands: [] };
  const command = commandFor(saga, now);
  if (!command) return { saga: { ...saga, nextAttemptAt: null }, commands: [] };
  const leased = { ...saga, nextAttemptAt: now + 2 * policy.callTimeoutMs };
  return { saga: command.type === 'Allocate' ? { ...firstAttempt(leased, policy, now), wmsMayHold: true } : leased, commands: [command] };
}

/** The first AllocateStock starts the deadline: the WMS is always asked before anything is concluded from its silence. */
function firstAttempt(saga: AllocationSaga, policy: SagaPolicy, now: number): AllocationSaga {
  return saga.firstAttemptAt !== null ? saga : { ...saga, firstAttemptAt: now, deadline: now + policy.deadlineMs };
}

function commandFor(saga: AllocationSaga, now: number): SagaCommand | null {
  const { reservationId, sku } = saga;
  const causedBy = { [skuStream(sku)]: saga.reservedVersion };
  switch (saga.phase) {
    case 'allocating':
      return pastDeadline(saga, now) ? { type: 'GetAllocation', reservationId } : { type: 'Allocate', reservationId, sku, qty: saga.qty };
    case 'overdue':
      return { type: 'Allocate', reservationId, sku, qty: saga.qty };
    case 'confirming':
      return { type: 'Confirm', sku, reservationId, allocationId: saga.allocationId!, causedBy };
    case 'releasing':
      return { type: 'Release', sku, reservationId, reason: saga.releaseWanted!, causedBy };
    case 'cancelling':
      return { type: 'Cancel', reservationId };
    default:
      return null;
  }
}

const due = (saga: AllocationSaga, now: number): AllocationSaga => ({ ...saga, attempts: 0, nextAttemptAt: now });
const wait = (saga: AllocationSaga, phase: SagaPhase): AllocationSaga => ({ ...saga, phase, attempts: 0, nextAttemptAt: null });

function stuck(saga: AllocationSaga, why: string, now: number): AllocationSaga {
  return note({ ...wait(saga, 'stuck'), stuckIn: saga.phase, lastError: why }, why, now);
}

function note(saga: AllocationSaga, text: string, now: number): AllocationSaga {
  return { ...saga, notes: [...saga.notes, { at: now, note: text }].slice(-MAX_NOTES) };
}
