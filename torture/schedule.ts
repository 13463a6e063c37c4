import { Random } from '../bench/lib/random';

/**
 * The torture run's operations and faults, drawn from one seed: the same seed gives the same
 * schedule (what is done, in which order, where the faults fall). Timing on the machine still
 * varies; the checks hold for every interleaving.
 */
export type Line = { sku: string; qty: number };

export type Op =
  /** `region`: the buyer's, on a SKU the warehouse feeds (its units come from a location of that region when one has them). */
  | { kind: 'reserve'; sku: string; customerId: string; qty: number; ttlSeconds: number; key: string; region?: string }
  /** The same request again under the same Idempotency-Key: the same answer, nothing reserved twice. */
  | { kind: 'replay'; of: number }
  /** `atExpiry`: aimed at the reservation's TTL boundary (offset in ms around `expiresAt`). */
  | { kind: 'complete' | 'cancel'; of: number; atExpiryOffsetMs: number | null }
  | { kind: 'receipt'; sku: string; qty: number; key: string }
  | { kind: 'checkout'; customerId: string; lines: Line[]; key: string; ttlSeconds: number }
  | { kind: 'checkoutChange'; of: number; change: 'complete' | 'cancel' }
  /** A goods receipt or a damage posted to the warehouse (a document its feed brings to the edge). */
  | { kind: 'movement'; movement: 'receipt' | 'damage'; sku: string; location: string; qty: number; document: string }
  /** A stocktake at a location finding `shortBy` units fewer than the edge has committed there when it is posted. */
  | { kind: 'count'; sku: string; location: string; shortBy: number; document: string }
  /** The warehouse document of an earlier `movement` or `count` posted again (the warehouse records it once). */
  | { kind: 'repost'; of: number }
  /** An earlier document, once the edge has counted it, delivered to the edge again as the feed would: counted once. */
  | { kind: 'redeliver'; of: number };

/** `replica-kill`: one bridge replica SIGKILLed and restarted; `bridge-outage`: every replica down for longer than the saga deadline. */
export type FaultKind = 'replica-kill' | 'bridge-outage' | 'broker-restart' | 'edge-restart' | 'wms-outage' | 'rebuild';
export type Fault = { at: number; kind: FaultKind };

/** A site of the warehouse as a fed SKU names it: the region its buyers name, its sourcing priority, its opening receipt. */
export type FedLocation = { location: string; region: string; priority: number; opening: number };
/** `fed`: stocked by the warehouse's documents at these locations (no admin stock); absent: set by an admin, one implicit location. */
export type ScheduledSku = { sku: string; stock: number; limitPerCustomer: number | null; fed?: FedLocation[] };
export type Schedule = { seed: number; skus: ScheduledSku[]; ops: Op[]; faults: Fault[] };

/** The warehouse's sites in the torture run: each fed SKU is stocked at both. */
export const FED_SITES = [
  { location: 'AMS-1', region: 'weur', priority: 0 },
  { location: 'FRA-2', region: 'weur2', priority: 1 },
] as const;
const FED_SKUS = 3;
/** Share of the run's operations about fed SKUs, added between the others (which stay as the seed made them). */
const FED_SHARE = 0.05;

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
  const fed = withFedStock(seed, ops, customers);
  const faultList = faults ? FAULT_PLAN.map(([fraction, kind]) => ({ at: Math.floor(fraction * fed.ops.length), kind })) : [];
  return { seed, skus: [...skus, ...fed.skus], ops: fed.ops, faults: faultList };
}

/**
 * SKUs stocked by the warehouse at two locations, and their operations slipped between the
 * others: buyers naming a region or none, receipts, damages and stocktakes at the warehouse, a
 * document posted twice, a document delivered to the edge again. From a stream of their own, so
 * that the other operations stay what the seed made them (renumbered: an `of` follows its target).
 */
function withFedStock(seed: number, base: readonly Op[], customers: number): { skus: ScheduledSku[]; ops: Op[] } {
  const random = new Random(seed ^ 0x5eed_fed);
  const skus: ScheduledSku[] = Array.from({ length: FED_SKUS }, (_, i) => ({
    sku: `T${seed.toString(36)}-F${i}`,
    stock: 0,
    limitPerCustomer: null,
    fed: FED_SITES.map((site) => ({ ...site, opening: random.int(20, 60) })),
  }));
  const ops: Op[] = [];
  const renumbered = new Map<number, number>();
  const reserves: number[] = [];
  const documents: number[] = [];
  let n = 0;
  const earlier = (from: number[]) => (from.length ? from[random.int(Math.max(0, from.length - 50), from.length - 1)]! : null);
  const fedOp = (): Op => {
    const roll = random.next();
    const sku = random.pick(skus).sku;
    const location = random.pick(FED_SITES).location;
    const document = `${seed}-F${++n}`;
    if (roll < 0.2 && earlier(reserves) !== null) return { kind: 'complete', of: earlier(reserves)!, atExpiryOffsetMs: null };
    if (roll < 0.27 && earlier(reserves) !== null) return { kind: 'cancel', of: earlier(reserves)!, atExpiryOffsetMs: null };
    if (roll < 0.37) return { kind: 'movement', movement: 'receipt', sku, location, qty: random.int(5, 20), document };
    if (roll < 0.42) return { kind: 'count', sku, location, shortBy: random.int(1, 4), document };
    if (roll < 0.45) return { kind: 'movement', movement: 'damage', sku, location, qty: random.int(1, 3), document };
    if (roll < 0.48 && earlier(documents) !== null) return { kind: 'repost', of: earlier(documents)! };
    if (roll < 0.53 && earlier(documents) !== null) return { kind: 'redeliver', of: earlier(documents)! };
    const region = random.pick([FED_SITES[0].region, FED_SITES[1].region, undefined]);
    return { kind: 'reserve', sku, customerId: `cust-${random.int(1, customers)}`, qty: random.int(1, 3), ttlSeconds: random.int(10, 30), key: document, ...(region ? { region } : {}) };
  };
  base.forEach((op, i) => {
    while (random.chance(FED_SHARE)) {
      const added = fedOp();
      if (added.kind === 'reserve') reserves.push(ops.length);
      if (added.kind === 'movement' || added.kind === 'count') documents.push(ops.length);
      ops.push(added);
    }
    renumbered.set(i, ops.length);
    ops.push('of' in op ? { ...op, of: renumbered.get(op.of)! } : op);
  });
  return { skus, ops };
}
