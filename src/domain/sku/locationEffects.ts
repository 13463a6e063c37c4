import { locationsOf, type LocationStock } from './locations';
import type { SkuState } from './state';

/**
 * What one event did to one location's counters: the difference between the state before and
 * after it, so the audit archive sums to the objects' counters by construction (issue 27).
 * `lent` moves between shards of one SKU and nets out over them.
 */
export type LocationEffect = { location: string; onHand: number; reserved: number; sold: number; lent: number };

const FIELDS = ['onHand', 'reserved', 'sold', 'lent'] as const;

/** Every location an event changed, by id; none for an event that moved no units (a policy change, a confirmation). */
export function locationEffects(before: SkuState, after: SkuState): LocationEffect[] {
  const was = new Map(locationsOf(before).map((l) => [l.location, l]));
  const is = new Map(locationsOf(after).map((l) => [l.location, l]));
  const ids = [...new Set([...was.keys(), ...is.keys()])].sort();
  const effects: LocationEffect[] = [];
  for (const location of ids) {
    const delta = (field: (typeof FIELDS)[number]) => count(is.get(location), field) - count(was.get(location), field);
    const effect = { location, onHand: delta('onHand'), reserved: delta('reserved'), sold: delta('sold'), lent: delta('lent') };
    if (FIELDS.some((field) => effect[field] !== 0)) effects.push(effect);
  }
  return effects;
}

const count = (stock: LocationStock | undefined, field: (typeof FIELDS)[number]): number => stock?.[field] ?? 0;
