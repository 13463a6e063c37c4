import { describe, expect, it } from 'vitest';
import { makeSchedule, type Op } from '../../../torture/schedule';

/** The torture's schedule with fed stock slipped in: every reference still names what it did. */
describe('the torture schedule with fed stock', () => {
  const schedule = makeSchedule({ seed: 20261125, ops: 3_000 });
  const fed = new Set(schedule.skus.filter((s) => s.fed).map((s) => s.sku));
  const target = (op: Op): Op | undefined => ('of' in op ? schedule.ops[op.of] : undefined);

  it('adds fed SKUs at both sites and about 5% operations on them, each kind present', () => {
    expect([...fed]).toHaveLength(3);
    for (const s of schedule.skus.filter((x) => x.fed)) expect(s.fed!.map((l) => l.location)).toEqual(['AMS-1', 'FRA-2']);
    expect(schedule.ops.length).toBeGreaterThan(3_100);
    expect(schedule.ops.length).toBeLessThan(3_250);
    const kinds = new Set(schedule.ops.map((op) => op.kind));
    for (const kind of ['movement', 'count', 'repost', 'redeliver']) expect(kinds.has(kind as Op['kind'])).toBe(true);
    expect(schedule.ops.some((op) => op.kind === 'reserve' && fed.has(op.sku) && op.region)).toBe(true);
    // The others never touch a fed SKU (an admin receipt there would be refused: location_fed).
    expect(schedule.ops.filter((op) => (op.kind === 'receipt' || op.kind === 'checkout') && ('sku' in op ? fed.has(op.sku) : op.lines.some((l) => fed.has(l.sku))))).toEqual([]);
  });

  it('every `of` names an earlier operation of the kind it refers to, after the renumbering', () => {
    schedule.ops.forEach((op, i) => {
      if (!('of' in op)) return;
      expect(op.of).toBeLessThan(i);
      const kind = target(op)!.kind;
      if (op.kind === 'checkoutChange') expect(kind).toBe('checkout');
      else if (op.kind === 'repost' || op.kind === 'redeliver') expect(['movement', 'count']).toContain(kind);
      else expect(kind).toBe('reserve');
    });
  });

  it('the same seed, the same schedule', () => {
    expect(makeSchedule({ seed: 20261125, ops: 3_000 })).toEqual(schedule);
  });
});
