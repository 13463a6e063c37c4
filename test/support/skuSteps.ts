import { expect } from 'vitest';
import {
  contextFor,
  decide,
  emptyLedger,
  evolve,
  evolveContext,
  foldLedger,
  initialSkuState,
  record,
  SkuEventSchema,
  type SkuCommand,
  type SkuEvent,
  type SkuLedger,
} from '../../src/domain/sku';

export type SkuStep = { advanceMs: number; command: SkuCommand };
type Checks = { onEvent?: (event: SkuEvent) => void; afterStep: (ledger: SkuLedger, log: readonly SkuEvent[]) => void };

/**
 * Runs random steps through `decide` as the object would (the clock moving forward between them),
 * and checks what every SKU property test relies on: each event is on the wire schema, a refusal
 * changes nothing, a reader of the log without rows folds the same counters, and a replay of the
 * whole log gives the same rows and counters, and the object's fold of a decision (the context
 * it loaded, candidate rows of a shortfall included) agrees with the ledger's.
 */
export function replaySkuSteps(steps: readonly SkuStep[], { onEvent, afterStep }: Checks): void {
  let now = Date.parse('2026-11-25T00:00:00Z');
  const ledger = emptyLedger();
  let counters = initialSkuState();
  const log: SkuEvent[] = [];
  for (const { advanceMs, command } of steps) {
    now += advanceMs;
    const before = ledger.state;
    const ctx = contextFor(ledger, command);
    const result = decide(command, ctx, now);
    if (result.ok) {
      for (const event of result.value) {
        expect(SkuEventSchema.parse(event)).toEqual(event);
        onEvent?.(event);
        record(ledger, event);
        counters = evolve(counters, event);
        log.push(event);
      }
      const folded = result.value.reduce(evolveContext, ctx);
      expect(folded.state).toEqual(ledger.state);
      for (const row of folded.candidates ?? []) expect(row).toEqual(ledger.reservations.get(row.reservationId));
    } else {
      expect(ledger.state).toBe(before);
    }
    afterStep(ledger, log);
    expect(counters).toEqual(ledger.state);
  }
  expect(foldLedger(log)).toEqual(ledger);
}
