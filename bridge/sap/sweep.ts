import type { WarehouseClients } from '../feed/warehouseClients';
import type { Logger } from '../logger';
import type { Warehouse } from '../warehouses';
import type { SapClient } from './client';

/**
 * Every `everyMs`, each SAP warehouse's stray reservation documents are deleted (ADR 0017's
 * window: a create that landed after every call about its reference holds units no allocation
 * is). Idempotent, so every replica of a group may run it; a failed round waits for the next.
 */
export type StraySweep = { stop(): Promise<void> };

export function startStraySweep({ warehouses, clients, everyMs, callTimeoutMs, logger }: { warehouses: readonly Warehouse[]; clients: WarehouseClients; everyMs: number; callTimeoutMs: number; logger: Logger }): StraySweep {
  const sap = warehouses.filter((w) => w.kind === 'odata');
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();
  let stopped = false;
  const sweep = async () => {
    for (const { id } of sap) {
      try {
        const deleted = await ((await clients(id)) as SapClient).sweepStrays(callTimeoutMs * 10);
        if (deleted.length > 0) logger.warn({ warehouse: id, deleted }, 'stray reservation documents deleted: creates that landed after their reference was settled');
      } catch (error) {
        logger.info({ err: error, warehouse: id }, 'stray sweep failed; next round');
      }
    }
  };
  const next = () => {
    if (stopped || sap.length === 0) return;
    timer = setTimeout(() => {
      round = sweep().finally(next);
    }, everyMs);
  };
  next();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
