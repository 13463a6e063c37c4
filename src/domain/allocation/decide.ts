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
  const next = saga ? react(saga, message, policy, now) : start(message, policy, now);
  if (!next) return { saga: null, commands: [] };
  return issue(next, policy, now);
}

/** A saga begins with the reservation; any other message about an unknown reservation is not its business. */
function start(message: SagaMessage, policy: SagaPolicy, now: number): AllocationSaga | null {
  if (message.type !== 'Reserved') return null;
  return {
    reservationId: message.reservationId,
    sku: message.sku,
    qty: message.qty,
    reservedVersion: message.version,
    startedAt: message.at,
    deadline: Math.min(message.at + policy.deadlineMs, message.expiresAt),
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
      // The confirmation of an earlier attempt landed first: the object and the WMS agree on allocated.
      if (m.outcome === 'allocated') return wait(saga, 'allocated');
      return stuck(saga, 'the SKU object does not know the reservation', now);
    case 'CancelAnswered':
      return { ...wait(saga, 'done'), wmsMayHold: false };
    case 'CallFailed':
      return failed(saga, m.command, m.error, policy, now);
    case 'Retry':
      return s.phase === 'stuck' ? due({ ...saga, phase: s.stuckIn ?? 'allocating', stuckIn: null }, now) : due(saga, now);
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
      // Never allocated as far as the WMS knows, but a request may still be in flight inside it:
      // the cancel that follows the release leaves a tombstone that refuses it.
      return compensate({ ...saga, wmsMayHold: true }, 'wms_timeout', now);
    default: {
      const exhaustive: never = answer;
      return exhaustive;
    }
  }
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
  // The last word on an unanswered allocation: compensate, and cancel in case it lands late.
  if (command === 'GetAllocation') return compensate({ ...withError, wmsMayHold: true, attempts: 0 }, 'wms_timeout', now);
  const retryAt = now + Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.min(attempts - 1, 20));
  return { ...withError, nextAttemptAt: saga.phase === 'allocating' ? Math.min(retryAt, saga.deadline) : retryAt };
}

/** Issues the phase's command if it is due, and leases it so a tick does not issue it twice. */
function issue(saga: AllocationSaga, policy: SagaPolicy, now: number): SagaDecision {
  if (saga.nextAttemptAt === null || saga.nextAttemptAt > now) return { saga, commands: [] };
  const command = commandFor(saga, now);
  if (!command) return { saga: { ...saga, nextAttemptAt: null }, commands: [] };
  const leased = { ...saga, nextAttemptAt: now + 2 * policy.callTimeoutMs };
  return { saga: command.type === 'Allocate' ? { ...leased, wmsMayHold: true } : leased, commands: [command] };
}

function commandFor(saga: AllocationSaga, now: number): SagaCommand | null {
  const { reservationId, sku } = saga;
  const causedBy = { [skuStream(sku)]: saga.reservedVersion };
  switch (saga.phase) {
    case 'allocating':
      return now >= saga.deadline ? { type: 'GetAllocation', reservationId } : { type: 'Allocate', reservationId, sku, qty: saga.qty };
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
