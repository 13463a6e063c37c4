import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeAtomically } from '../files';
import { MovementSchema, StockLevelSchema } from './movements';
import { StockUnitsSchema, WmsRecordSchema } from './records';

/** A record as kept: the SOAP record plus where it was allocated and the shipment that consumed it. */
export const StoredRecordSchema = WmsRecordSchema.extend({
  /** Absent in files from before locations: the default location. */
  location: z.string().min(1).optional(),
  shipment: z.string().min(1).nullish().transform((v) => v ?? null),
});
export type StoredRecord = z.output<typeof StoredRecordSchema>;

/**
 * The warehouse's whole state in one JSON file, replaced atomically on every change: a crash
 * leaves either the old file or the new one, never half of one. Small enough for a simulator
 * (one line per reservation); one process writes a data dir at a time.
 */
export const StateSchema = z.strictObject({
  /** Files from before locations: units left per SKU at the one location. Read, never written. */
  stock: z.record(z.string(), StockUnitsSchema).optional(),
  /** Per (location, SKU) that was touched or set; the others hold the unstocked default. */
  levels: z.array(StockLevelSchema).default([]),
  movements: z.array(MovementSchema).default([]),
  records: z.array(StoredRecordSchema),
});
export type State = z.output<typeof StateSchema>;

const FILE = 'state.json';

export async function loadState(dir: string): Promise<State> {
  let text: string;
  try {
    text = await readFile(join(dir, FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { levels: [], movements: [], records: [] };
    throw error;
  }
  // A file that does not parse is not started from scratch: that would forget allocations.
  return StateSchema.parse(JSON.parse(text));
}

export async function saveState(dir: string, state: z.input<typeof StateSchema>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomically(join(dir, FILE), JSON.stringify(state));
}
