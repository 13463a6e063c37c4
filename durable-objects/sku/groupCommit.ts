import { reservationSuffix, shardOf, type ReservationView, type SkuCommand, type SkuEvent, type SkuState } from '../../src/domain/sku';
import type { Outcome } from '../../src/contract/outcome';
import { decideCommand, saveDecision } from './commandStore';
import { enqueueVersions, saveState } from './eventLog';
import { saveRecord } from './idempotency';
import { caused, viewOf, type Present } from './presenters';
import { newReservationId } from './reservationId';
import type { OutcomeCounts } from './outcomeCounts';
import { screen } from './screen';
import type { BatchAnswer, GroupCall, ReserveCall, ReserveRequest, SettleCall } from './requests';

/**
 * Group commit (ADR 0021): the reserves, completes and cancels that queued in the object
 * (`commandQueue.ts`) are decided in order in one transaction. Each keeps what it had alone (its
 * admission check, a reserve's idempotency record, its
 * refusal or events, its answer); the batch shares the commit, the counters row, the outbox
 * insert and the alarm update. A reserve that must borrow from sibling shards awaits them, so it
 * ends the group before it and runs alone as `reserve` does; the calls after it form a new group.
 */

/** The reserve command and its answer's presenter, with a fresh id naming the shard that holds it. */
export function reserveCommand(req: ReserveRequest): { command: SkuCommand; present: Present<ReservationView> } {
  const reservationId = `${newReservationId()}${reservationSuffix(shardOf(req.sku))}`;
  const { sku, customerId, qty, ttlSeconds, ttlDefaulted, region, rehomedFrom, causedBy } = req;
  const data = { sku, reservationId, customerId, qty, ttlSeconds, ...(ttlDefaulted ? { ttlDefaulted } : {}), ...(region === undefined ? {} : { region }), ...(rehomedFrom === undefined ? {} : { rehomedFrom }) };
  return { command: { type: 'Reserve', data, ...caused(causedBy) }, present: viewOf({ sku, reservationId }) };
}

/** The complete or cancel command and its answer's presenter. */
export function settleCommand({ settle, ref }: SettleCall): { command: SkuCommand; present: Present<ReservationView> } {
  const { sku, causedBy, ...data } = ref;
  const type = settle === 'complete' ? 'CompletePurchase' : 'CancelReservation';
  return { command: { type, data, ...caused(causedBy) }, present: viewOf({ sku, ...data }) };
}

/** What a group commit needs of its SKU object. */
export type GroupHost = {
  sql: SqlStorage;
  transaction: (work: () => void) => void;
  state: () => SkuState;
  setState: (state: SkuState) => void;
  /** Whether the reserve borrows from sibling shards before it can be decided. */
  borrows: (call: ReserveCall) => boolean;
  /** The call run alone, as `reserve` runs it. */
  alone: (call: ReserveCall) => Promise<Outcome<ReservationView>>;
  wakeAt: (events: readonly SkuEvent[], recorded: boolean, now: number) => number | null;
  moveAlarm: (at: number | null) => Promise<void>;
  outcomes: Pick<OutcomeCounts, 'count'>;
};

export class ReserveBatches {
  readonly #host: GroupHost;

  constructor(host: GroupHost) {
    this.#host = host;
  }

  async run(calls: readonly GroupCall[]): Promise<BatchAnswer[]> {
    const answers: BatchAnswer[] = [];
    while (answers.length < calls.length) {
      const { wakeAt } = this.#group(calls, answers);
      await this.#host.moveAlarm(wakeAt);
      // Only a reserve that must borrow ends a group early: one that walked already walks again
      // outside the queue (nothing queued behind it waits on its siblings), any other (or one on its
      // last walk) alone, as `reserve` runs it.
      const next = calls[answers.length] as ReserveCall | undefined;
      if (next) answers.push(next.walked && !next.final ? { walkAgain: true } : await settle(() => this.#host.alone(next)));
    }
    // The live view counts reserve outcomes only, as alone.
    answers.forEach((a, i) => {
      if ('req' in calls[i]! && 'outcome' in a) this.#host.outcomes.count(a.outcome);
    });
    return answers;
  }

  /**
   * Decides calls from `answers.length` on, in order, in one transaction, until one must borrow.
   * Each command is a nested transaction (a savepoint): one that throws is undone alone and
   * answered with its error. The counters row and the outbox rows are written once at the end.
   */
  #group(calls: readonly GroupCall[], answers: BatchAnswer[]): { wakeAt: number | null } {
    const { sql, transaction } = this.#host;
    const now = Date.now();
    const before = this.#host.state();
    const events: SkuEvent[] = [];
    let recorded = false;
    try {
      transaction(() => {
        for (let call = calls[answers.length]; call; call = calls[answers.length]) {
          // Shed, stored under its key, or for another shard: answered without deciding, as alone.
          const screened = screen<ReservationView>(sql, this.#host.state(), now, 'req' in call ? { ...call, customerId: call.req.customerId, rehomed: call.req.rehomedFrom !== undefined } : { ticket: call.ticket });
          if (screened) {
            answers.push({ outcome: screened });
            continue;
          }
          if ('req' in call && this.#host.borrows(call)) break;
          answers.push(settleSync(() => this.#decide(call, now, events)));
          recorded ||= 'req' in call;
        }
        const after = this.#host.state();
        if (after === before) return;
        saveState(sql, after);
        if (events.length > 0) enqueueVersions(sql, events[0]!.version, events.at(-1)!.version, now);
      });
    } catch (error) {
      this.#host.setState(before);
      throw error;
    }
    return { wakeAt: recorded || events.length > 0 ? this.#host.wakeAt(events, recorded, now) : null };
  }

  /** One command of the group, in its own savepoint: decided, its rows and (a reserve's) its record written. */
  #decide(call: GroupCall, now: number, events: SkuEvent[]): Outcome<ReservationView> {
    const { sql } = this.#host;
    const { command, present } = 'req' in call ? reserveCommand(call.req) : settleCommand(call);
    const decided = decideCommand(sql, this.#host.state(), command, now, present);
    this.#host.transaction(() => {
      saveDecision(sql, decided.before, decided.after, decided.events, now, { counters: false, outbox: false });
      if ('req' in call) saveRecord(sql, call.idempotency, decided.outcome, now);
    });
    events.push(...decided.events);
    this.#host.setState(decided.after.state);
    return decided.outcome;
  }
}

/** An exception is the call's answer alone: the Worker throws it for that request (a 500), as for a call run alone. */
const thrown = (error: unknown): BatchAnswer => ({ thrown: error instanceof Error ? error.message : String(error) });

function settleSync(work: () => Outcome<ReservationView>): BatchAnswer {
  try {
    return { outcome: work() };
  } catch (error) {
    return thrown(error);
  }
}

async function settle(work: () => Promise<Outcome<ReservationView>>): Promise<BatchAnswer> {
  try {
    return { outcome: await work() };
  } catch (error) {
    return thrown(error);
  }
}
