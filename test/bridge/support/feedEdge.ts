import { EdgeAnswerError } from '../../../bridge/edge/client';
import { MovementCommandSchema, type FeedEdge, type MovementCommand, type MovementResult } from '../../../bridge/feed/edgeMovements';

/**
 * The edge's movements route as the feed contract states it, in memory: a location counts a
 * warehouse's sequence once (applied:false at or below the last it counted), on-hand follows the
 * deltas. Stands in for `POST /internal/skus/{sku}/movements` until the edge side is merged.
 */
export type Call = { sku: string; command: MovementCommand; applied: boolean };

export function recordingEdge() {
  const calls: Call[] = [];
  const locations = new Map<string, { onHand: number; sequence: number }>();
  /** Answers to give before the real one: an error status per call, consumed in order. */
  const failures: { status: number; code: string }[] = [];
  const edge: FeedEdge & { calls: Call[]; failures: typeof failures; onHand(sku: string, location: string): number } = {
    calls,
    failures,
    onHand: (sku, location) => locations.get(`${sku}@${location}`)?.onHand ?? 0,
    async movement(sku, body): Promise<MovementResult> {
      const command = MovementCommandSchema.parse(body);
      const failure = failures.shift();
      if (failure) throw new EdgeAnswerError(`edge answered ${failure.status}`, failure.status, failure.code);
      const key = `${sku}@${command.location}`;
      const location = locations.get(key) ?? { onHand: 0, sequence: 0 };
      const applied = command.sequence > location.sequence;
      if (applied) locations.set(key, { onHand: location.onHand + command.delta, sequence: command.sequence });
      calls.push({ sku, command, applied });
      const now = locations.get(key) ?? location;
      return {
        sku,
        version: calls.length,
        applied,
        location: { location: command.location, onHand: now.onHand, reserved: 0, sold: 0, available: now.onHand },
        shortfall: null,
      };
    },
  };
  return edge;
}
