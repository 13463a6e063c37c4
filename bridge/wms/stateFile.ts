import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeAtomically } from '../files';
import { StockUnitsSchema, WmsRecordSchema } from './records';

/**
 * The warehouse's whole state in one JSON file, replaced atomically on every change: a crash
 * leaves either the old file or the new one, never half of one. Small enough for a simulator
 * (one line per reservation); one process writes a data dir at a time.
 */
export const StateSchema = z.strictObject({
  /** Units left per SKU, for the SKUs that were touched or set; the others have the default stock. */
  stock: z.record(z.string(), StockUnitsSchema),
  records: z.array(WmsRecordSchema),
});
export type State = z.output<typeof StateSchema>;

const FILE = 'state.json';

export async function loadState(dir: string): Promise<State> {
  let text: string;
  try {
    text = await readFile(join(dir, FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { stock: {}, records: [] };
    throw error;
  }
  // A file that does not parse is not started from scratch: that would forget allocations.
  return StateSchema.parse(JSON.parse(text));
}

export async function saveState(dir: string, state: State): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomically(join(dir, FILE), JSON.stringify(state));
}
