import { z } from 'zod';
import { anonymous, call, exchange, type Service } from '../http';

const OutageSchema = z.object({ outageUntil: z.int() });

/** What both warehouse simulators' control planes share (`bridge/simulators/adminApp.ts`): health, faults of their own shape, an outage. */
export function simulatorControls<Faults, Patch>(service: Service, faultsSchema: z.ZodType<Faults>) {
  return {
    health: () => exchange(anonymous(service), 'GET', '/healthz'),
    faults: () => call(service, 'GET', '/admin/faults', faultsSchema),
    setFaults: (patch: Patch) => call(service, 'PUT', '/admin/faults', faultsSchema, patch),
    outage: (forMs: number) => call(service, 'POST', '/admin/outage', OutageSchema, { forMs }),
  };
}
