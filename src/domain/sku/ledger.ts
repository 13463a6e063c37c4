import type { Decider } from '../core/decider';
import type { SkuCommand } from './commands';
import { rowKeys, type Loan, type SkuContext } from './context';
import { decide } from './decide';
import type { SkuError } from './errors';
import type { SkuEvent } from './events';
import { activeUnits, evolveContext, loanOf } from './evolve';
import { DEFAULT_LOCATION } from './locations';
import { candidatesCovering, shortfallAt } from './shortfall';
import { initialSkuState, type Reservation, type SkuState } from './state';

/**
 * A SKU's whole history folded in memory: the counters and every reservation row, with each
 * customer's active units kept as they change. It is what a live object keeps in SQLite, for the
 * places that fold a log at hand: specifications, property tests, a one-off comparison. Every
 * event costs O(1): the maps are updated in place, never copied, so a ledger is owned by the one
 * fold that builds it.
 */
export type SkuLedger = {
  state: SkuState;
  readonly reservations: Map<string, Reservation>;
  readonly units: Map<string, number>;
  readonly loans: Map<string, Loan>;
};

export const emptyLedger = (): SkuLedger => ({ state: initialSkuState(), reservations: new Map(), units: new Map(), loans: new Map() });

/** The rows a command needs, as the object would load them by index. */
export function contextFor(ledger: SkuLedger, command: SkuCommand): SkuContext {
  const { reservationId, customerId, transferId } = rowKeys(command);
  return {
    state: ledger.state,
    reservation: reservationId === null ? null : (ledger.reservations.get(reservationId) ?? null),
    activeUnits: customerId === null ? 0 : (ledger.units.get(customerId) ?? 0),
    loan: transferId === null ? null : (ledger.loans.get(transferId) ?? null),
    ...candidatesFor(ledger, command),
  };
}

/** The rows a shortfall needs, chosen as the object chooses them (see `candidatesCovering`). */
function candidatesFor(ledger: SkuLedger, command: SkuCommand): Pick<SkuContext, 'candidates'> {
  const need = shortfallAt(ledger.state, command);
  if (!need) return {};
  const at = [...ledger.reservations.values()]
    .filter((r) => (r.location ?? DEFAULT_LOCATION) === need.location)
    .sort((a, b) => b.reservedAtVersion - a.reservedAtVersion);
  const inStatus = (status: Reservation['status']) => at.filter((r) => r.status === status);
  return { candidates: candidatesCovering(inStatus('held'), inStatus('completed'), need.short) };
}

export function record(ledger: SkuLedger, event: SkuEvent): SkuLedger {
  const id = 'reservationId' in event.data ? event.data.reservationId : null;
  const before = id === null ? null : (ledger.reservations.get(id) ?? null);
  const next = evolveContext({ state: ledger.state, reservation: before, activeUnits: 0, loan: null }, event);
  ledger.state = next.state;
  const loan = loanOf(event);
  if (loan) ledger.loans.set(loan.transferId, loan);
  const after = next.reservation;
  if (after && after !== before) {
    ledger.reservations.set(after.reservationId, after);
    const delta = activeUnits(after) - activeUnits(before);
    if (delta !== 0) ledger.units.set(after.customerId, (ledger.units.get(after.customerId) ?? 0) + delta);
  }
  return ledger;
}

export function foldLedger(events: Iterable<SkuEvent>, ledger: SkuLedger = emptyLedger()): SkuLedger {
  for (const event of events) record(ledger, event);
  return ledger;
}

/** The SKU decider over an in-memory ledger: the given/when/then form of the business rules. */
export const skuLedgerDecider: Decider<SkuLedger, SkuCommand, SkuEvent, SkuError> = {
  decide: (command, ledger, now) => decide(command, contextFor(ledger, command), now),
  evolve: record,
  initialState: emptyLedger,
};
