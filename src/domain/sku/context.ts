import type { SkuCommand } from './commands';
import type { Reservation, SkuState } from './state';

/**
 * What deciding one command looks at: the counters, the one reservation the command names, and
 * the units its customer holds. The shell loads the rows by index before calling `decide`, so
 * `decide` stays pure and its cost does not depend on how many reservations the SKU has seen.
 */
export type SkuContext = {
  state: SkuState;
  /** The reservation the command names, if it exists (whoever owns it). */
  reservation: Reservation | null;
  /** Units the command's customer holds or bought and still has (what `limitPerCustomer` caps). */
  activeUnits: number;
  /** The transfer the command names (LendStock, ReceiveLoan), if this stream already recorded it. */
  loan: Loan | null;
  /**
   * A command that takes a location below what it committed (ApplyMovement, AdjustLocation): the
   * reservations there it may re-source or release, held ones first, then completed ones, each
   * newest first, only as many as cover the shortfall (`candidatesCovering`). Absent otherwise.
   */
  candidates?: readonly Reservation[];
};

/** A transfer between shards as one side recorded it: units lent out, or borrowed in. */
/** `location`: whose units moved (null: the implicit `default` of a SKU that names none). */
export type Loan = { transferId: string; direction: 'out' | 'in'; peer: string; qty: number; version: number; location: string | null };

/** Which rows a command needs: the reservation it names, and whose active units count. */
export type RowKeys = { reservationId: string | null; customerId: string | null; transferId: string | null };

const NONE: RowKeys = { reservationId: null, customerId: null, transferId: null };

export function rowKeys(command: SkuCommand): RowKeys {
  switch (command.type) {
    case 'Reserve':
      return { ...NONE, reservationId: command.data.reservationId, customerId: command.data.customerId };
    case 'SetStock':
    case 'AdjustStock':
    case 'ReceiveStock':
    case 'ApplyMovement':
    case 'AdjustLocation':
      return NONE;
    case 'LendStock':
    case 'ReceiveLoan':
      return { ...NONE, transferId: command.data.transferId };
    default:
      return { ...NONE, reservationId: command.data.reservationId };
  }
}
