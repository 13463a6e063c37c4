import type { Check } from './checkTypes';
import type { Ledger } from './execute';
import { honestAvailability, type HonestAvailability } from './operationTally';
import { answeredWithout5xx } from './tally';
import type { WarehouseTally } from './warehouseTally';

/**
 * What a run comes to, as printed and as written to `bench/results/torture.json`: every check's
 * counts, the client's tally of 5xx and overload answers, `answeredWithout5xx` (the share of
 * requests answered without a 5xx other than `503 overloaded` with `Retry-After`, a 503 counting
 * as answered) and `honestAvailability` (definitive-answer-in-time, operation by operation).
 */
export type TortureSummary = {
  seed: number;
  operations: number;
  faultsInjected: string[];
  seconds: number;
  /** How long the sagas, TTLs and relay took to settle after the operations (null: they did not). */
  settledAfterSeconds: number | null;
  requests: number;
  serverErrors: number;
  overloaded503: number;
  unansweredInFaults: number;
  unansweredOutsideFaults: number;
  /** Share of requests answered without a 5xx but the contract's overload answer: not availability, a 503 counts here. */
  answeredWithout5xx: number;
  /** Operations with a definitive answer within 2 s of their first request, overall and by fault windows. */
  honestAvailability: HonestAvailability;
  /** Each warehouse system's share of the run (SOAP and SAP OData): allocations at the end, failovers. */
  warehouses: WarehouseTally[];
  violations: number;
  checks: { check: string; checked: number; violations: number; firstViolations: string[] }[];
};

export function summarize(
  seed: number,
  operations: number,
  ledger: Ledger,
  checks: readonly Check[],
  seconds: number,
  settledAfterMs: number | null,
  warehouses: WarehouseTally[],
): TortureSummary {
  const { tally } = ledger;
  return {
    seed,
    operations,
    faultsInjected: ledger.faultsDone,
    seconds,
    settledAfterSeconds: settledAfterMs === null ? null : Math.round(settledAfterMs / 1000),
    requests: tally.requests,
    serverErrors: tally.serverErrors.length,
    overloaded503: tally.overloaded,
    unansweredInFaults: tally.unansweredInFaults,
    unansweredOutsideFaults: tally.unansweredOutsideFaults.length,
    answeredWithout5xx: answeredWithout5xx(tally),
    honestAvailability: honestAvailability(ledger.operations, ledger.faultWindows),
    warehouses,
    violations: checks.reduce((n, c) => n + c.violations.length, 0),
    checks: checks.map((c) => ({ check: c.check, checked: c.checked, violations: c.violations.length, firstViolations: c.violations.slice(0, 20) })),
  };
}

/** The client's answers as a check: any 5xx but the contract's overload answer is a violation. */
export const noServerErrors = (ledger: Ledger): Check => ({
  check: 'no 5xx answer during the run (503 overloaded + Retry-After excepted)',
  checked: ledger.tally.requests,
  violations: ledger.tally.serverErrors,
});
