import { EdgeAnswerError } from '../../../bridge/edge/client';
import { MovementCommandSchema, type FeedEdge, type MovementCommand, type MovementResult } from '../../../bridge/feed/edgeMovements';
import { emptyLedger, locationAvailable, locationStock, skuLedgerDecider, type SkuLedger } from '../../../src/domain/sku';

/**
 * `POST /internal/skus/{sku}/movements` in memory, deciding with the SKU object's own decider
 * (`ApplyMovement`: a location counts a warehouse's sequence once, answering applied:false at or
 * below the last it counted; a refusal is a 400 `invalid_command` as the route answers it), and
 * recording every call. The bridge specs need no workerd this way; the route itself, over HTTP
 * in workerd, is in test/e2e/feed.e2e.spec.ts.
 */
export type Call = { sku: string; command: MovementCommand; applied: boolean };

export function recordingEdge() {
  const calls: Call[] = [];
  const ledgers = new Map<string, SkuLedger>();
  /** Answers to give before the real one: an error status per call, consumed in order. */
  const failures: { status: number; code: string }[] = [];
  const edge: FeedEdge & { calls: Call[]; failures: typeof failures; onHand(sku: string, location: string): number } = {
    calls,
    failures,
    onHand: (sku, location) => locationStock(ledgers.get(sku)?.state ?? emptyLedger().state, location).onHand,
    async movement(sku, body): Promise<MovementResult> {
      const command = MovementCommandSchema.parse(body);
      const failure = failures.shift();
      if (failure) throw new EdgeAnswerError(`edge answered ${failure.status}`, failure.status, failure.code);
      const ledger = ledgers.get(sku) ?? emptyLedger();
      ledgers.set(sku, ledger);
      const { warehouse, document, sequence, movement, location, delta } = command;
      const decision = skuLedgerDecider.decide({ type: 'ApplyMovement', data: { sku, warehouse, document, sequence, movement, location, delta } }, ledger, Date.now());
      if (!decision.ok) throw new EdgeAnswerError(`edge answered 400: ${JSON.stringify(decision.error)}`, 400, decision.error.code);
      for (const event of decision.value) skuLedgerDecider.evolve(ledger, event);
      const applied = decision.value.length > 0;
      calls.push({ sku, command, applied });
      const at = locationStock(ledger.state, location);
      return {
        sku,
        version: ledger.state.version,
        applied,
        location: { location, onHand: at.onHand, reserved: at.reserved, sold: at.sold, available: locationAvailable(at) },
        shortfall: null,
      };
    },
  };
  return edge;
}
