import { z } from 'zod';
import { faultKnobs, NO_COMMON_FAULTS, NO_THROTTLE, throttleKnobs } from '../../simulators/faults';

/**
 * The SAP simulator's faults as its admin API reads and answers them: the wire shape alone, so
 * the CLI (`inventory wms --warehouse`) reads it without the simulator's HTTP stack.
 */

/** The calls faults apply to, named by what they do. */
export const SAP_OPERATIONS = ['metadata', 'createReservation', 'readReservations', 'deleteReservation', 'readStock', 'readMaterialDocuments'] as const;
export type SapOperation = (typeof SAP_OPERATIONS)[number];

export const SapFaultsSchema = z.strictObject({ ...faultKnobs(SAP_OPERATIONS), ...throttleKnobs });
export type SapFaults = z.output<typeof SapFaultsSchema>;
export const SapFaultsPatchSchema = SapFaultsSchema.partial();
export type SapFaultsPatch = z.output<typeof SapFaultsPatchSchema>;
export const NO_SAP_FAULTS: SapFaults = { ...NO_COMMON_FAULTS, ...NO_THROTTLE, operations: [...SAP_OPERATIONS] };
