import type { WmsClient, WmsRecord } from '../../wms/client';
import type { WarehouseSystem } from './warehouses';

/**
 * Every configured warehouse system as one for the allocations reconcile (issue 23): a
 * reservation's allocations may be at several, one reference per location (ADR 0015), so the
 * records of all are compared with the edge. A reference lives at the warehouse serving its
 * location: a read takes the record that holds units, a cancel goes where it was listed.
 */
export type Allocations = Pick<WmsClient, 'list' | 'get' | 'cancel'>;

const holds = (r: WmsRecord | null) => r?.status === 'allocated';

export function fleetOf(systems: readonly WarehouseSystem[]): Allocations {
  /** Which systems listed or answered each reference: a cancel is sent there only. */
  const seenAt = new Map<string, Set<WarehouseSystem>>();
  const saw = (system: WarehouseSystem, reference: string) => seenAt.set(reference, (seenAt.get(reference) ?? new Set()).add(system));

  return {
    async list(timeoutMs) {
      const lists = await Promise.all(
        systems.map(async (system) => {
          const records = await (await system.client()).list(timeoutMs);
          for (const r of records) saw(system, r.reservationId);
          return records;
        }),
      );
      return lists.flat();
    },

    async get(reference, timeoutMs) {
      const answers = await Promise.all(systems.map(async (system) => ({ system, record: await (await system.client()).get(reference, timeoutMs) })));
      for (const { system, record } of answers) if (record) saw(system, reference);
      return answers.find((a) => holds(a.record))?.record ?? answers.find((a) => a.record)?.record ?? null;
    },

    async cancel(reference, timeoutMs) {
      // Never seen anywhere (a repair without a read first): every system, as a cancel of an unknown reference changes nothing held.
      const at = [...(seenAt.get(reference) ?? systems)];
      for (const system of at) await (await system.client()).cancel(reference, timeoutMs);
      return { status: 'cancelled' };
    },
  };
}
