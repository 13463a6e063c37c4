import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { writeAtomically } from '../../files';
import { MovementSchema, StockLevelSchema } from '../../wms/movements';
import { StockUnitsSchema } from '../../wms/records';

const Iso = z.iso.datetime();

/** One item of a reservation document: what it takes from where, and what became of it. */
export const ReservationItemSchema = z.strictObject({
  item: z.string().regex(/^\d{4}$/),
  product: z.string().min(1),
  plant: z.string(),
  storageLocation: z.string(),
  /** Our location the plant and storage location stand for: the ledger's key. */
  location: z.string().min(1),
  qty: StockUnitsSchema,
  entryUnit: z.string(),
  text: z.string(),
  requirementDate: Iso.nullable(),
  deleted: z.boolean(),
  /** Withdrawn in full by a goods issue (our shipment); its units left the building. */
  finallyIssued: z.boolean(),
  withdrawn: StockUnitsSchema,
  /** The admin document number of the shipment that withdrew it. */
  shipment: z.string().nullable(),
});
export type ReservationItem = z.output<typeof ReservationItemSchema>;

export const ReservationDocumentSchema = z.strictObject({
  reservation: z.string().regex(/^\d{10}$/),
  goodsMovementType: z.string(),
  costCenter: z.string(),
  goodsRecipientName: z.string(),
  reservationDate: Iso.nullable(),
  plant: z.string(),
  storageLocation: z.string(),
  /** The last change, to the tenth of a microsecond as SAP writes it: the ETag. */
  changedAt: Iso,
  items: z.array(ReservationItemSchema),
});
export type ReservationDocument = z.output<typeof ReservationDocumentSchema>;

/** The SAP simulator's whole state in one JSON file, replaced atomically on every change. */
export const SapStateSchema = z.strictObject({
  levels: z.array(StockLevelSchema),
  movements: z.array(MovementSchema),
  reservations: z.array(ReservationDocumentSchema),
});
export type SapState = z.output<typeof SapStateSchema>;

export const EMPTY_STATE: SapState = { levels: [], movements: [], reservations: [] };

export async function loadSapState(file: string): Promise<SapState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_STATE;
    throw error;
  }
  // A file that does not parse is not started from scratch: that would forget reservations.
  return SapStateSchema.parse(JSON.parse(text));
}

export async function saveSapState(file: string, state: SapState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeAtomically(file, JSON.stringify(state));
}
