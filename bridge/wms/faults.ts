import { z } from 'zod';
import { OPERATIONS, type Operation } from './wsdl';

export const RateSchema = z.number().min(0).max(1);
export const MillisSchema = z.int().min(0).max(600_000);

/**
 * How badly the simulated warehouse behaves, set at start (env) and changed at run time
 * (PUT /admin/faults). Rates are probabilities per SOAP call; 0 never, 1 always.
 */
export const FaultsSchema = z.strictObject({
  /** Added before every answer, uniform in [min, max]. */
  latencyMs: z.strictObject({ min: MillisSchema, max: MillisSchema }).refine((l) => l.min <= l.max, 'min must not exceed max'),
  /** Never answered and nothing applied: the request stays open until the caller gives up. */
  timeoutRate: RateSchema,
  /** Answered at once with a SOAP Server fault; nothing applied. */
  faultRate: RateSchema,
  /** Applied twice, concurrently, as a duplicate delivery would be; answered with the second reply. */
  duplicateRate: RateSchema,
  /** Applied only after lateMs and only then answered: by then the caller has usually given up. */
  lateRate: RateSchema,
  lateMs: MillisSchema,
  /** Epoch ms; until then every request to the SOAP endpoint is answered HTTP 503 at once. */
  outageUntil: z.int().min(0),
  /** The operations the faults above apply to (an outage takes down the whole endpoint). */
  operations: z.array(z.enum(OPERATIONS)),
});
export type Faults = z.output<typeof FaultsSchema>;
/** A change of some fields; the others keep their values. */
export const FaultsPatchSchema = FaultsSchema.partial();
export type FaultsPatch = z.output<typeof FaultsPatchSchema>;

export const NO_FAULTS: Faults = {
  latencyMs: { min: 0, max: 0 },
  timeoutRate: 0,
  faultRate: 0,
  duplicateRate: 0,
  lateRate: 0,
  lateMs: 5_000,
  outageUntil: 0,
  operations: [...OPERATIONS],
};

/**
 * What happens to one SOAP call: wait `delayMs`, then `timeout` (hold the request, apply nothing),
 * `fault` (apply nothing) or apply it `deliveries` times (`late` when the wait includes lateMs).
 */
export type FaultPlan = { fate: 'apply' | 'late' | 'timeout' | 'fault'; delayMs: number; deliveries: 1 | 2 };

export class FaultInjector {
  private faults: Faults;

  /**
   * `random` is drawn five times per call the faults apply to, always in this order, so a test can
   * script it: latency, timeout, fault, late, duplicate (a draw below the rate is a hit).
   */
  constructor(
    initial: FaultsPatch,
    private readonly random: () => number = Math.random,
  ) {
    this.faults = FaultsSchema.parse({ ...NO_FAULTS, ...initial });
  }

  get current(): Faults {
    return this.faults;
  }

  update(patch: FaultsPatch): Faults {
    this.faults = { ...this.faults, ...patch };
    return this.faults;
  }

  isOutage(): boolean {
    return Date.now() < this.faults.outageUntil;
  }

  plan(operation: Operation): FaultPlan {
    const { latencyMs, timeoutRate, faultRate, lateRate, lateMs, duplicateRate, operations } = this.faults;
    if (!operations.includes(operation)) return { fate: 'apply', delayMs: 0, deliveries: 1 };
    const latency = latencyMs.min + Math.floor(this.random() * (latencyMs.max - latencyMs.min + 1));
    const [timeout, fault, late, duplicate] = [timeoutRate, faultRate, lateRate, duplicateRate].map((rate) => this.random() < rate);
    const fate = timeout ? 'timeout' : fault ? 'fault' : late ? 'late' : 'apply';
    return { fate, delayMs: fate === 'late' ? latency + lateMs : latency, deliveries: duplicate ? 2 : 1 };
  }
}
