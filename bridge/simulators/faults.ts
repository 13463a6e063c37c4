import { z } from 'zod';

export const RateSchema = z.number().min(0).max(1);
export const MillisSchema = z.int().min(0).max(600_000);

/**
 * How badly a simulated warehouse behaves, set at start (env) and changed at run time
 * (PUT /admin/faults). Rates are probabilities per call; 0 never, 1 always. `operations` names
 * the calls the rates apply to; an outage takes down the whole endpoint.
 */
export function faultKnobs<const Operation extends string>(operations: readonly [Operation, ...Operation[]]) {
  return {
    /** Added before every answer, uniform in [min, max]. */
    latencyMs: z.strictObject({ min: MillisSchema, max: MillisSchema }).refine((l) => l.min <= l.max, 'min must not exceed max'),
    /** Never answered and nothing applied: the request stays open until the caller gives up. */
    timeoutRate: RateSchema,
    /** Answered at once with a server error; nothing applied. */
    faultRate: RateSchema,
    /** Applied twice, concurrently, as a duplicate delivery would be; answered with the second reply. */
    duplicateRate: RateSchema,
    /** Applied only after lateMs and only then answered: by then the caller has usually given up. */
    lateRate: RateSchema,
    lateMs: MillisSchema,
    /** Epoch ms; until then every request to the endpoint is answered HTTP 503 at once. */
    outageUntil: z.int().min(0),
    operations: z.array(z.enum(operations)),
  };
}

/** The HTTP simulators' extra knobs: throttling and replies lost after the call was applied. */
export const throttleKnobs = {
  /** Answered at once HTTP 429 with Retry-After; nothing applied. */
  throttleRate: RateSchema,
  retryAfterSeconds: z.int().min(0).max(3_600),
  /** Applied, then the connection is dropped without an answer. */
  lostRate: RateSchema,
};

export type CommonFaults<Operation extends string = string> = {
  latencyMs: { min: number; max: number };
  timeoutRate: number;
  faultRate: number;
  duplicateRate: number;
  lateRate: number;
  lateMs: number;
  outageUntil: number;
  operations: Operation[];
  throttleRate?: number;
  retryAfterSeconds?: number;
  lostRate?: number;
};

export const NO_COMMON_FAULTS = { latencyMs: { min: 0, max: 0 }, timeoutRate: 0, faultRate: 0, duplicateRate: 0, lateRate: 0, lateMs: 5_000, outageUntil: 0 };
export const NO_THROTTLE = { throttleRate: 0, retryAfterSeconds: 1, lostRate: 0 };

/**
 * What happens to one call: wait `delayMs`, then `timeout` (hold the request, apply nothing),
 * `fault` or `throttle` (answer at once, apply nothing), `lost` (apply, never answer) or apply it
 * `deliveries` times (`late` when the wait includes lateMs).
 */
export type FaultPlan = { fate: 'apply' | 'late' | 'timeout' | 'fault' | 'throttle' | 'lost'; delayMs: number; deliveries: 1 | 2 };

export class FaultInjector<F extends CommonFaults> {
  private faults: F;

  /**
   * `random` is drawn per call the faults apply to, always in this order, so a test can script it:
   * latency, timeout, fault, late, duplicate, and, for faults with throttling, throttle and lost
   * (a draw below the rate is a hit).
   */
  constructor(
    private readonly schema: z.ZodType<F>,
    initial: F,
    private readonly random: () => number = Math.random,
  ) {
    this.faults = schema.parse(initial);
  }

  get current(): F {
    return this.faults;
  }

  update(patch: Partial<F>): F {
    this.faults = { ...this.faults, ...patch };
    return this.faults;
  }

  isOutage(): boolean {
    return Date.now() < this.faults.outageUntil;
  }

  plan(operation: F['operations'][number]): FaultPlan {
    const { latencyMs, timeoutRate, faultRate, lateRate, lateMs, duplicateRate, operations, throttleRate, lostRate } = this.faults;
    if (!operations.includes(operation)) return { fate: 'apply', delayMs: 0, deliveries: 1 };
    const latency = latencyMs.min + Math.floor(this.random() * (latencyMs.max - latencyMs.min + 1));
    const [timeout, fault, late, duplicate] = [timeoutRate, faultRate, lateRate, duplicateRate].map((rate) => this.random() < rate);
    const [throttle, lost] = throttleRate === undefined ? [false, false] : [throttleRate, lostRate ?? 0].map((rate) => this.random() < rate);
    const fate = timeout ? 'timeout' : fault ? 'fault' : throttle ? 'throttle' : late ? 'late' : lost ? 'lost' : 'apply';
    return { fate, delayMs: fate === 'late' ? latency + lateMs : latency, deliveries: duplicate ? 2 : 1 };
  }
}
