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
};

/** Which rows a command needs: the reservation it names, and whose active units count. */
export type RowKeys = { reservationId: string | null; customerId: string | null };

export function rowKeys(command: SkuCommand): RowKeys {
  switch (command.type) {
    case 'Reserve':
      return { reservationId: command.data.reservationId, customerId: command.data.customerId };
    case 'SetStock':
    case 'ReceiveStock':
      return { reservationId: null, customerId: null };
    default:
      return { reservationId: command.data.reservationId, customerId: null };
  }
}
