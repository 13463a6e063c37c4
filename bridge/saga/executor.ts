import type { SagaCommand, SagaMessage, WmsAnswer } from '../../src/domain/allocation';
import { ReleaseReasonSchema, skuOf } from '../../src/domain/sku';
import type { EdgeClient, VerdictReply } from '../edge/client';
import type { WmsClient, WmsRecord } from '../wms/client';

export type Executor = (command: SagaCommand) => Promise<SagaMessage>;

/**
 * Carries out a saga command and turns whatever happened into the message the saga reacts to.
 * It never throws: a failed call is a `CallFailed` message, and deciding what that means is the
 * saga's business.
 */
/** `wms(location)`: the client of the warehouse system serving that location (undefined: the default site). */
export function createExecutor(wms: (location: string | undefined) => Promise<WmsClient>, edge: EdgeClient, timeoutMs: number): Executor {
  return async (command) => {
    // When an AllocateStock really left (not when the saga decided it): its late landing is bounded from here.
    const sent = command.type === 'Allocate' ? { sentAt: Date.now() } : {};
    try {
      return { ...(await run(command)), ...sent };
    } catch (error) {
      // A WMS call names its allocation: a failure about one the saga left behind is retried on that one's clock.
      return { type: 'CallFailed', command: command.type, error: describe(error), ...('reference' in command ? { reference: command.reference } : {}), ...sent };
    }
  };

  async function run(command: SagaCommand): Promise<SagaMessage> {
    switch (command.type) {
      case 'Allocate': {
        const answer = await (await wms(command.location)).allocate(command.reference, skuOf(command.sku), command.qty, timeoutMs, command.location);
        return { type: 'WmsAnswered', answer, reference: command.reference };
      }
      case 'GetAllocation':
        return { type: 'WmsAnswered', answer: asAnswer(await (await wms(command.location)).get(command.reference, timeoutMs)), reference: command.reference };
      case 'Cancel': {
        const sentAt = Date.now();
        await (await wms(command.location)).cancel(command.reference, timeoutMs);
        return { type: 'CancelAnswered', reference: command.reference, sentAt };
      }
      case 'Confirm': {
        const reply = await edge.allocation(command.sku, command.reservationId, {
          outcome: 'confirmed',
          allocationId: command.allocationId,
          reference: command.reference,
          causedBy: command.causedBy,
          ...basisOf(command),
        });
        return confirmAnswer(reply, command);
      }
      case 'Release': {
        const tried = command.tried === undefined ? {} : { tried: command.tried };
        const reply = await edge.allocation(command.sku, command.reservationId, { outcome: 'failed', reason: command.reason, causedBy: command.causedBy, ...basisOf(command), ...tried });
        return releaseAnswer(reply, command);
      }
    }
  }
}

/** Where the saga's allocation is and after how many re-sourcings, as far as it names them (an older saga names neither). */
function basisOf(command: Extract<SagaCommand, { type: 'Confirm' | 'Release' }>): { location?: string; resourcings?: number } {
  return { ...(command.location === undefined ? {} : { location: command.location }), ...(command.resourcings === undefined ? {} : { resourcings: command.resourcings }) };
}

function asAnswer(record: WmsRecord | null): WmsAnswer {
  if (!record) return { status: 'not_found' };
  if (record.status === 'allocated') return { status: 'allocated', allocationId: record.allocationId! };
  if (record.status === 'rejected') return { status: 'rejected', reason: record.reason ?? 'rejected' };
  return { status: 'cancelled' };
}

function confirmAnswer(reply: VerdictReply, command: Extract<SagaCommand, { type: 'Confirm' }>): SagaMessage {
  const { allocationId } = command;
  if (reply.status === 200) return { type: 'ConfirmAnswered', outcome: 'confirmed', allocationId };
  if (reply.code === 'reservation_released') {
    const reason = ReleaseReasonSchema.safeParse(reply.details.reason);
    if (reason.success) return { type: 'ConfirmAnswered', outcome: 'released', reason: reason.data, allocationId };
  }
  if (reply.code === 'allocation_conflict') return { type: 'ConfirmAnswered', outcome: 'conflict', allocationId };
  if (reply.code === 'reservation_not_found' || reply.code === 'sku_not_found') return { type: 'ConfirmAnswered', outcome: 'not_found', allocationId };
  return unexpected(reply, command);
}

function releaseAnswer(reply: VerdictReply, command: SagaCommand): SagaMessage {
  // Not released but moved: another location with the units took it (sagas across warehouses).
  const { reservation } = reply;
  if (reply.status === 200 && reservation && reservation.status !== 'released' && reservation.location) return { type: 'ReleaseAnswered', outcome: 'resourced', to: reservation.location };
  if (reply.status === 200) return { type: 'ReleaseAnswered', outcome: 'released' };
  if (reply.code === 'allocation_conflict') return { type: 'ReleaseAnswered', outcome: 'allocated' };
  if (reply.code === 'reservation_completed') return { type: 'ReleaseAnswered', outcome: 'completed' };
  if (reply.code === 'reservation_not_found' || reply.code === 'sku_not_found') return { type: 'ReleaseAnswered', outcome: 'not_found' };
  return unexpected(reply, command);
}

const unexpected = (reply: VerdictReply, command: SagaCommand): SagaMessage => ({
  type: 'CallFailed',
  command: command.type,
  error: `edge answered ${reply.status} ${reply.code ?? ''}`.trim(),
});

function describe(error: unknown): string {
  if (error instanceof Error) return 'kind' in error ? `${String(error.kind)}: ${error.message}` : error.message;
  return String(error);
}
