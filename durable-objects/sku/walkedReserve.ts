import type { Outcome } from '../../src/contract/outcome';
import type { ReservationView } from '../../src/domain/sku';
import type { BatchAnswer, ReserveCall } from './requests';

/** Walks one reserve makes outside the queue; after them it runs alone, as before ADR 0023 (bounded walks of its own). */
const WALKS = 4;

/** What a reserve short of units needs of its SKU object: its walk (`beforeCommit`), its group queue, its outcome counts. */
export type WalkedReserveHost = {
  walk: (call: ReserveCall) => Promise<Outcome<ReservationView> | null>;
  submit: (call: ReserveCall) => Promise<BatchAnswer>;
  count: (outcome: Outcome<ReservationView>) => Outcome<ReservationView>;
};

/**
 * A reserve short of units (batched settle, ADR 0023): it walks to its siblings outside any group,
 * then joins the next group with the buyers that waited on the same walk. Units it brought may be
 * lent on before the group runs: sent back (`walkAgain`), it walks again, still outside the queue,
 * so nothing queued behind it waits on a sibling's round trip; after its last one, it runs alone.
 */
export async function reserveAfterWalking(host: WalkedReserveHost, call: ReserveCall): Promise<Outcome<ReservationView>> {
  for (let walk = 1; ; walk++) {
    // Admitted once, when it arrived: a later walk is not shed for the time the earlier ones took.
    const early = await host.walk(walk === 1 ? call : { ...call, ticket: undefined });
    if (early) return host.count(early);
    const answer = await host.submit({ req: call.req, idempotency: call.idempotency, walked: true, ...(walk >= WALKS ? { final: true as const } : {}) });
    if ('thrown' in answer) throw new Error(answer.thrown);
    if ('outcome' in answer) return answer.outcome;
  }
}
