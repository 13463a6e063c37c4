import {
  contextFor,
  decide,
  emptyLedger,
  evolveContext,
  record,
  type SkuCommand,
  type SkuContext,
  type SkuLedger,
  type SkuState,
} from '../../src/domain/sku';
import { round } from '../relay/figures';

const SKU = 'HISTORY-DOMAIN';
const MEASURED = 50_000;
const RUNS = 7;
const T0 = Date.parse('2026-12-01T00:00:00Z');

export type DomainPoint = { reservations: number; microsPerCommand: number; runs: number[] };

/** The sale's mix per reservation: half completed, a fifth cancelled, the rest left held to expire. */
const fateOf = (i: number) => (i % 10 < 5 ? 'complete' : i % 10 < 7 ? 'cancel' : 'walk away');

const reserve = (i: number): SkuCommand => ({
  type: 'Reserve',
  data: { sku: SKU, reservationId: `res_${i}`, customerId: `buyer-${i}`, qty: 1, ttlSeconds: 300 },
});
const follow = (i: number): SkuCommand | null => {
  const data = { reservationId: `res_${i}`, customerId: `buyer-${i}` };
  const fate = fateOf(i);
  return fate === 'complete' ? { type: 'CompletePurchase', data } : fate === 'cancel' ? { type: 'CancelReservation', data } : null;
};

/** Builds the history through the ledger: what the object's table would hold after `n` reservations. */
function history(n: number): SkuLedger {
  const ledger = emptyLedger();
  const apply = (command: SkuCommand, now: number) => {
    const decision = decide(command, contextFor(ledger, command), now);
    if (!decision.ok) throw new Error(`${command.type} refused: ${decision.error.code}`);
    for (const event of decision.value) record(ledger, event);
  };
  apply({ type: 'SetStock', data: { sku: SKU, onHand: 100_000_000, limitPerCustomer: 2 } }, T0);
  for (let i = 0; i < n; i++) {
    apply(reserve(i), T0 + i);
    const next = follow(i);
    if (next) apply(next, T0 + i);
  }
  return ledger;
}

/** One command on the rows it names: decide, then evolve the counters and the row. */
function step(ctx: SkuContext, command: SkuCommand, now: number): SkuContext {
  const decision = decide(command, ctx, now);
  if (!decision.ok) throw new Error(`${command.type} refused: ${decision.error.code}`);
  return decision.value.reduce(evolveContext, ctx);
}

/** Times `MEASURED` more reservations and their follow-ups from `state`; answers µs per command. */
function timed(start: SkuState, from: number): { micros: number; state: SkuState } {
  let state = start;
  let commands = 0;
  const began = performance.now();
  for (let i = from; i < from + MEASURED; i++) {
    // A new buyer's row does not exist and their units are 0: what the object's lookups by index answer.
    const held = step({ state, reservation: null, activeUnits: 0, loan: null }, reserve(i), T0 + i);
    commands++;
    const next = follow(i);
    state = next ? step(held, next, T0 + i).state : held.state;
    if (next) commands++;
  }
  return { micros: ((performance.now() - began) * 1000) / commands, state };
}

/**
 * The pure core alone (decide + evolve, as the issue measured it: 0.46 ms at 5,000 reservations
 * and 73–79 ms at 120,000 before), on a SKU that already has `n` reservations of the sale mix.
 * The rows a command names are handed in as the object's index lookups would; what is timed is
 * what the domain does with them, which must not depend on `n`.
 */
export function measureDomain(sizes: readonly number[] = [1_000, 100_000, 1_000_000]): DomainPoint[] {
  // The first size must not pay for the JIT's warm-up: a few hundred thousand commands first.
  let warm = history(1_000).state;
  for (let r = 0; r < 5; r++) warm = timed(warm, 1_000 + r * MEASURED).state;
  return sizes.map((n) => {
    let { state } = history(n);
    const runs: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      // With --expose-gc, a collection first: no run pays for the garbage of building the history.
      (globalThis as { gc?: () => void }).gc?.();
      const result = timed(state, n + r * MEASURED);
      state = result.state;
      runs.push(result.micros);
    }
    const sorted = [...runs].sort((a, b) => a - b);
    return { reservations: n, microsPerCommand: round(sorted[Math.floor(RUNS / 2)]!, 3), runs: runs.map((x) => round(x, 3)) };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const point of measureDomain()) console.log(JSON.stringify(point));
}
