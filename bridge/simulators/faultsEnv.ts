import { z } from 'zod';
import { MillisSchema, RateSchema } from './faults';

/** The fault knobs as environment variables (`<PREFIX>_LATENCY_MS`, …), shared by the simulators' configs. */

export const rate = (fallback: number) => z.coerce.number().pipe(RateSchema).default(fallback);

/** "20-80" (uniform between the two) or "50" (always 50). */
export const LatencySchema = z
  .string()
  .regex(/^\d+(-\d+)?$/, 'milliseconds, or a range like 20-80')
  .transform((text) => {
    const [min, max = min] = text.split('-').map(Number) as [number, number?];
    return { min, max };
  })
  .pipe(z.strictObject({ min: MillisSchema, max: MillisSchema }).refine((l) => l.min <= l.max, 'min must not exceed max'));

export const millis = (fallback: number) => z.coerce.number().pipe(MillisSchema).default(fallback);
