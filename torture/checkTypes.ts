import type { Reservation, SkuEvent, SkuState } from '../src/domain/sku';

/** One check of the run: what it looked at, and what it found wrong (empty: it held). */
export type Check = { check: string; checked: number; violations: string[] };

/** Every SKU's log, folded version by version: what every other check reads. */
export type Folded = { sku: string; log: SkuEvent[]; state: SkuState; reservations: ReadonlyMap<string, Reservation> };
