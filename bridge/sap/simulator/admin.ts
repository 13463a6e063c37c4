import type { Logger } from '../../logger';
import { createSimulatorAdminApp } from '../../simulators/adminApp';
import type { FaultInjector } from '../../simulators/faults';
import { SapFaultsPatchSchema, type SapFaults } from './faults';
import { materialDocumentOf } from './materialDocuments';
import type { SapStore } from './store';

/**
 * The SAP simulator's control plane, beside the OData services: faults and outages, opening
 * stock, and movements posted as the SOAP simulator's admin takes them (each becomes a material
 * document). Keys of its own (`SAP_ADMIN_KEYS`), JSON bodies only.
 */
export function createSapAdminApp({ store, faults, logger, adminKeys }: { store: SapStore; faults: FaultInjector<SapFaults>; logger: Logger; adminKeys: readonly string[] }) {
  const app = createSimulatorAdminApp(
    {
      faults,
      faultsPatch: SapFaultsPatchSchema,
      levels: () => store.levels(),
      setPhysical: (location, sku, physical) => store.setPhysical(location, sku, physical),
      postMovement: (request) => store.postMovement(request, new Date()),
      movementAnswer: (movement) => ({ ...movement, materialDocument: materialDocumentOf(movement.sequence) }),
      movementLogged: 'movement posted as a material document',
      notAllocated: 'a shipment needs an open reservation item (not flagged for deletion, not yet issued) whose text is the reservationId',
    },
    { logger, adminKeys },
  );

  app.get('/admin/reservations', async (c) => c.json(await store.list()));
  return app;
}
