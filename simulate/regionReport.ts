import type { Row } from '../bench/lib/report';
import type { Honest } from './attempts';
import type { RegionRun } from './regionStudy';
import { REGIONS } from './regions';

/** Rows for `npm run simulate:region` (pure: regionMain.ts prints them). */

export const AVAILABILITY_TARGET = 0.9999;
export const P99_DURING_TARGET_MS = 500;
export const P99_OUTSIDE_TARGET_MS = 80;

const ms = (v: number | null) => (v === null ? '–' : String(Math.round(v * 10) / 10));
const percent = (share: number) => `${(share * 100).toFixed(share === 1 ? 0 : 3)}%`;
const outageName = (r: RegionRun) => (r.outage ? `${REGIONS.names[r.outage.location]} lost at ${r.outage.atMs / 1000} s` : 'none');
const honestCell = (h: Honest) => `${percent(h.share)} (${h.late + h.unanswered})`;

/** Whether a run meets issue 25's targets: honest availability, p99 of all answers during the outage window and outside it. */
export function targets(r: RegionRun): { availability: boolean; during: boolean; outside: boolean } {
  return {
    availability: r.result.availability.share >= AVAILABILITY_TARGET,
    during: r.during.answerP99 !== null && r.during.answerP99 < P99_DURING_TARGET_MS,
    outside: r.outside.answerP99 !== null && r.outside.answerP99 < P99_OUTSIDE_TARGET_MS,
  };
}

/** How buyers fared: honest availability and p99 of every final answer, in the outage's window and outside it. */
export function regionRow(r: RegionRun): Row {
  const t = targets(r);
  return {
    protocol: r.protocol,
    shards: r.shards,
    seed: r.seed,
    outage: outageName(r),
    'available during / outside / all (not)': `${honestCell(r.during)} / ${honestCell(r.outside)} / ${honestCell(r.result.availability)}`,
    'p99 all answers during / outside ms': `${ms(r.during.answerP99)} / ${ms(r.outside.answerP99)}`,
    'p99 accepted / refused ms': `${ms(r.result.availability.acceptedP99)} / ${ms(r.result.availability.refusedP99)}`,
    'p99 accepted / refused during ms': `${ms(r.during.acceptedP99)} / ${ms(r.during.refusedP99)}`,
    'targets: ≥ 99.99% / < 500 / < 80 ms': `${t.availability ? 'met' : 'NOT'} / ${t.during ? 'met' : 'NOT'} / ${t.outside ? 'met' : 'NOT'}`,
  };
}

/** What the failover did and the safety checks. */
export function regionSafetyRow(r: RegionRun): Row {
  const s = r.result;
  return {
    protocol: r.protocol,
    shards: r.shards,
    seed: r.seed,
    outage: outageName(r),
    'sell-out s': s.sellOutSeconds === null ? null : Math.round(s.sellOutSeconds * 100) / 100,
    accepted: s.accepted,
    'refused at the edge': s.edgeRefusals,
    '503 answers': s.overloaded + s.unavailable,
    'timed out': s.timedOut,
    'breakers opened': s.breakerTrips,
    're-homed calls': s.rehomed,
    'completes available': percent(s.completeAvailability.share),
    'limit overshoot (bound 1 limit)': `${s.limitOvershoot} units, ${s.overLimitCustomers} customers`,
    'units back with the region': s.returnedUnits,
    'unsold at the end': s.unsold,
    oversold: s.oversold,
    stranded: s.stranded,
    conserved: s.conserved ? 'yes' : 'NO',
  };
}

/** Safety violations: oversold, stranded, units not conserved, or a limit overshoot beyond one limit. */
export function regionViolations(runs: readonly RegionRun[], limit: number): string[] {
  return runs.flatMap((r) => {
    const where = `${r.protocol}, ${r.shards} shards, seed ${r.seed}, outage ${outageName(r)}`;
    const s = r.result;
    return [
      ...(s.oversold > 0 ? [`${where}: ${s.oversold} units oversold`] : []),
      ...(s.stranded > 0 ? [`${where}: ${s.stranded} units stranded`] : []),
      ...(s.conserved ? [] : [`${where}: units not conserved`]),
      ...(s.limitOvershoot > limit ? [`${where}: a customer ${s.limitOvershoot} units over the limit (bound ${limit})`] : []),
    ];
  });
}
