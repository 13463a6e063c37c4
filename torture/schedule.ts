import { Random } from '../bench/lib/random';

/**
 * The torture run's operations and faults, drawn from one seed: the same seed gives the same
 * schedule (what is done, in which order, where the faults fall). Timing on the machine still
 * varies; the checks hold for every interleaving.
 */
export type Line = { sku: string; qty: number };

export type Op =
  | { kind: 'reserve'; sku: string; customerId: string; qty: number; ttlSeconds: number; key: string }
  /** The same request again under the same Idempotency-Key: the same answer, nothing reserved twice. */
  | { kind: 'replay'; of: number }
  /** `atExpiry`: aimed at the reservation's TTL boundary (offset in ms around `expiresAt`). */
  | { kind: 'complete' | 'cancel'; of: number; atExpiryOffsetMs: number | null }
  | { kind: 'receipt'; sku: string; qty: number; key: string }
  | { kind: 'checkout'; customerId: string; lines: Line[]; key: string; ttlSeconds: number }
  | { kind: 'checkoutChange'; of: number; change: 'complete' | 'cancel' };

/** `replica-kill`: one bridge replica SIGKILLed and restarted; `bridge-outage`: every replica down for longer than the saga deadline. */
export type FaultKind = 'replica-kill' | 'bridge-outage' | 'broker-restart' | 'edge-restart' | 'wms-outage' | 'rebuild';
export type Fault = { at: number; kind: FaultKind };

export type Schedule = { seed: number; skus: { sku: string; stock: number; limitPerCustomer: number | null }[]; ops: Op[]; faults: Fault[] };

export type ScheduleOptions = { seed: number; ops: number; skus?: number; customers?: number; faults?: boolean };

/**
 * Where the faults fall, as fractions of the run: each kind at least once, some twice. One runs at
 * a time, so a slow one delays the next: the bridge's, the longest (a restart, a takeover after
 * Kafka's session timeout), come first, so that buyers are still at work while they strike.
 */
const FAULT_PLAN: [number, FaultKind][] = [
  [0.1, 'bridge-outage'],
  [0.2, 'replica-kill'],
  [0.3, 'edge-restart'],
  [0.4, 'broker-restart'],
  [0.5, 'rebuild'],
  [0.7, 'wms-outage'],
  [0.8, 'edge-restart'],
];

export function makeSchedule({ seed, ops: count, skus: skuCount = 20, customers = 400, faults = true }: ScheduleOptions): Schedule {
  const random = new Random(seed);
  const skus = Array.from({ length: skuCount }, (_, i) => ({
    sku: `T${seed.toString(36)}-${i}`,
    // A quarter sell out within a short run, as a flash sale does: refusals, compensations, and an
    // oversell (were the stock check gone) then happen; the rest have room for the other races.
    stock: i % 4 === 3 ? random.int(5, 15) : random.int(100, 400),
    // A few SKUs cap units per customer, as a flash sale does.
    limitPerCustomer: i % 5 === 0 ? 3 : null,
  }));
  const customer = () => `cust-${random.int(1, customers)}`;
  const reserves: number[] = [];
  const shortReserves: number[] = [];
  const checkouts: number[] = [];
  const ops: Op[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random.next();
    const key = `${seed}-${i}`;
    const earlier = (from: number[]) => (from.length ? from[random.int(Math.max(0, from.length - 200), from.length - 1)]! : null);
    let op: Op | null = null;
    if (roll < 0.1) op = earlier(reserves) === null ? null : { kind: 'replay', of: earlier(reserves)! };
    else if (roll < 0.2) op = earlier(reserves) === null ? null : { kind: 'complete', of: earlier(reserves)!, atExpiryOffsetMs: null };
    else if (roll < 0.28) op = earlier(reserves) === null ? null : { kind: 'cancel', of: earlier(reserves)!, atExpiryOffsetMs: null };
    else if (roll < 0.34) {
      const of = earlier(shortReserves);
      op = of === null ? null : { kind: random.chance() ? 'complete' : 'cancel', of, atExpiryOffsetMs: random.int(-40, 40) };
    } else if (roll < 0.37) op = { kind: 'receipt', sku: random.pick(skus).sku, qty: random.int(1, 20), key };
    else if (roll < 0.44) {
      const lines = Array.from({ length: random.int(1, 4) }, () => ({ sku: random.pick(skus).sku, qty: random.int(1, 3) }));
      op = { kind: 'checkout', customerId: customer(), lines, key, ttlSeconds: random.int(5, 30) };
    } else if (roll < 0.47) op = earlier(checkouts) === null ? null : { kind: 'checkoutChange', of: earlier(checkouts)!, change: random.chance(0.6) ? 'complete' : 'cancel' };
    if (!op) {
      // Short TTLs expire during the run, so expiries race completes and cancels.
      const ttlSeconds = random.chance(0.4) ? random.int(2, 4) : random.int(10, 30);
      op = { kind: 'reserve', sku: random.pick(skus).sku, customerId: customer(), qty: random.int(1, 3), ttlSeconds, key };
    }
    if (op.kind === 'reserve') {
      reserves.push(i);
      if (op.ttlSeconds <= 4) shortReserves.push(i);
    }
    if (op.kind === 'checkout') checkouts.push(i);
    ops.push(op);
  }
  const faultList = faults ? FAULT_PLAN.map(([fraction, kind]) => ({ at: Math.floor(fraction * count), kind })) : [];
  return { seed, skus, ops, faults: faultList };
}
