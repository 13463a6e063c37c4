import { z } from 'zod';
import { faultKnobs, FaultInjector as SharedFaultInjector, NO_COMMON_FAULTS } from '../simulators/faults';
import { OPERATIONS } from './wsdl';

export { MillisSchema, RateSchema, type FaultPlan } from '../simulators/faults';

/** The SOAP simulator's faults: per SOAP call; faults are SOAP Server faults (HTTP 500). */
export const FaultsSchema = z.strictObject(faultKnobs(OPERATIONS));
export type Faults = z.output<typeof FaultsSchema>;
/** A change of some fields; the others keep their values. */
export const FaultsPatchSchema = FaultsSchema.partial();
export type FaultsPatch = z.output<typeof FaultsPatchSchema>;

export const NO_FAULTS: Faults = { ...NO_COMMON_FAULTS, operations: [...OPERATIONS] };

/** Five draws per call: latency, timeout, fault, late, duplicate. */
export class FaultInjector extends SharedFaultInjector<Faults> {
  constructor(initial: FaultsPatch, random?: () => number) {
    super(FaultsSchema, { ...NO_FAULTS, ...initial }, random);
  }
}
