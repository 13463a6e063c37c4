import { z } from 'zod';
import type { Movement } from '../wms/movements';
import type { MovementCommand } from './edgeMovements';

/**
 * A warehouse feed's position: the last movement sequence read and handed to the edge (or
 * skipped, for a shipment), with that movement's document and time for operators. Pure: the
 * follower (follower.ts) does the I/O.
 */
export const FeedCursorSchema = z.object({
  warehouse: z.string().min(1),
  /** Every movement up to this sequence has been applied at the edge (or was a shipment); 0: none yet. */
  sequence: z.int().min(0),
  /** The last movement read: its document, kind and when the warehouse recorded it. */
  document: z.string().nullable(),
  movement: z.string().nullable(),
  at: z.string().nullable(),
  /** When this cursor was committed (epoch ms). */
  committedAt: z.number(),
});
export type FeedCursor = z.infer<typeof FeedCursorSchema>;

export const CURSOR_KEY = 'cursor:';
export const cursorKey = (warehouse: string) => `${CURSOR_KEY}${warehouse}`;

export const initialCursor = (warehouse: string): FeedCursor => ({ warehouse, sequence: 0, document: null, movement: null, at: null, committedAt: 0 });

/**
 * The edge command of a movement, or null for a shipment: a shipment's units were sold at the
 * edge already (the reservation that the allocation it ships came from), so sending it would
 * count them out twice.
 */
export function commandOf(warehouse: string, movement: Movement): MovementCommand | null {
  if (movement.type === 'shipment') return null;
  const { document, sequence, location, delta, at } = movement;
  return { warehouse, document, sequence, movement: movement.type, location, delta, at };
}

/** The cursor once `movement` is done with. */
export const advance = (cursor: FeedCursor, movement: Movement): FeedCursor => ({
  ...cursor,
  sequence: movement.sequence,
  document: movement.document,
  movement: movement.type,
  at: movement.at,
});

/**
 * Why a page cannot be followed as it is: sequences must rise past the cursor, or a movement
 * would be counted at the wrong place (the feed stops rather than skip or reorder anything).
 */
export function outOfOrder(cursor: FeedCursor, movements: readonly Movement[]): string | null {
  let last = cursor.sequence;
  for (const movement of movements) {
    if (movement.sequence <= last) return `the warehouse answered sequence ${movement.sequence} after ${last}: movements must come in rising order after the cursor`;
    last = movement.sequence;
  }
  return null;
}
