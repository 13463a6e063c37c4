import { describeProfile, type Calibration } from './calibration';
import { CLOUDFLARE } from './documented';
import type { Row } from '../bench/lib/report';
import type { SaleResult } from './sale';
import { ASSUMPTIONS, GROUP_COMMIT_MAX, P99_TARGET_MS } from './scenarios';
import { batchFactor } from './serviceTime';
import { meetsTarget, type Study } from './study';
import { fanoutName, type FanoutRun } from './walkFanoutStudy';

/** Table rows for `npm run simulate` (pure: main.ts prints them). */

const ms = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
const percent = (share: number) => `${(share * 100).toFixed(share === 1 ? 0 : 3)}%`;
const depth = (d: number | null) => (d === null ? '∞' : String(d));

export function measuredRows(c: Calibration): Row[] {
  const rows: Row[] = c.benchmark.map((b) => ({
    input: `hot-SKU reservations, ${b.connections} connection${b.connections === 1 ? '' : 's'}`,
    value: `${b.rps} req/s, p50 ${b.p50} ms, p99 ${b.p99} ms`,
    source: `bench/results/hot-sku.json (${c.hotSkuDate})`,
  }));
  return [
    ...rows,
    { input: 'no-op Worker → object ceiling', value: `${c.noopCeilingRps} req/s`, source: 'bench/results/hot-sku.json ceiling' },
    { input: 'loopback + client per request', value: `${c.loopbackRttMs.toFixed(2)} ms`, source: 'derived: 1-connection round trip (1/rps) minus the fitted mean service time' },
    { input: 'workerd CPU per request', value: `${c.historyCpuMsPerRequest.toFixed(2)} ms`, source: `bench/results/history.json windows (${c.historyDate}): CPU ms/reservation × reservations/s ÷ requests/s, mean of 10 windows (cross-check; flat over 200,000 reservations, so no history term)` },
    { input: 'TTL expiry cost', value: `${c.machine.expiryMs.toFixed(3)} ms per hold`, source: 'bench/results/history.json storm: 1 / expiries per second' },
    {
      input: 'group-commit batch cost',
      value: `${c.batch.aMs.toFixed(2)} + ${c.batch.bMs.toFixed(3)}·n ms per call of n reserves (n = ${GROUP_COMMIT_MAX}: ${batchFactor(c.batch, GROUP_COMMIT_MAX).toFixed(2)}× a call of one)`,
      source: `bench/results/batch-cost.json (${c.batchCostDate}): one object's reserveBatch, batches of 1–64, least squares`,
    },
  ];
}

export function documentedRows(): Row[] {
  return Object.values(CLOUDFLARE).map((d) => ({ input: d.input, value: `${d.value.toLocaleString('en-US')} ${d.unit}`, source: d.source }));
}

export function profileRows(c: Calibration): Row[] {
  return c.profiles.map((p) => {
    const d = describeProfile(p);
    return {
      profile: p === c.headline ? `${p.name} (headline)` : p.name,
      'mean ms': ms(d.meanMs),
      'p99 ms': ms(d.p99Ms),
      'capacity /s': Math.round(d.capacityPerSecond),
      'alarm run (100) ms': ms(p.expiryMs * 100),
      [`batch of ${GROUP_COMMIT_MAX} ms`]: ms(d.meanMs * batchFactor(p.batch, GROUP_COMMIT_MAX)),
      [`reservations/s at B = ${GROUP_COMMIT_MAX}`]: Math.round((d.capacityPerSecond * GROUP_COMMIT_MAX) / batchFactor(p.batch, GROUP_COMMIT_MAX)),
      sigma: p.command.shape === 'lognormal' ? Math.round(p.command.sigma * 1000) / 1000 : null,
    };
  });
}

export const assumptionRows = (): Row[] => ASSUMPTIONS.map((a) => ({ ...a }));

export function calibrationRows(study: Study): Row[] {
  return study.calibrationCheck.map(({ measured, model }) => ({
    connections: measured.connections,
    'measured req/s': measured.rps,
    'model req/s': Math.round(model.rps),
    'req/s model/measured': Math.round((model.rps / measured.rps) * 100) / 100,
    'measured p50': measured.p50,
    'model p50': ms(model.p50),
    'measured p99': measured.p99,
    'model p99': ms(model.p99),
  }));
}

export function scalingRows(study: Study): Row[] {
  return study.scaling.map((s) => ({ shards: s.shards, 'req/s': Math.round(s.rps), 'per shard': Math.round(s.rps / s.shards), 'vs N × one shard': Math.round(s.efficiency * 100) / 100, 'target ≥ 0.8': s.efficiency >= 0.8 ? 'met' : 'NOT MET' }));
}

/** One sale per row: how buyers fared. */
export function saleRow(r: SaleResult, label: string): Row {
  return {
    [label]: label === 'shards' ? r.shards : label === 'profile' ? r.profile : label === 'D' ? depth(r.depth) : r.scenario,
    'sell-out s': r.sellOutSeconds === null ? null : Math.round(r.sellOutSeconds * 100) / 100,
    accepted: r.accepted,
    'p50 ms': ms(r.p50),
    'p99 ms': ms(r.p99),
    'p99 any answer ms': ms(r.answerP99),
    'p50 / p99 refused ms': `${ms(r.refusedP50) ?? '–'} / ${ms(r.refusedP99) ?? '–'}`,
    'refused at the edge': r.edgeRefusals,
    '409 stock': r.insufficientStock,
    '409 limit': r.customerLimit,
    '503 answers': r.overloaded + r.unavailable,
    'gave up': r.gaveUp,
    'timed out': r.timedOut,
    'available (definitive ≤ 2 s)': percent(r.availability.share),
  };
}

/** One sale per row: the work behind it and the safety checks. */
export function workRow(r: SaleResult, label: string): Row {
  return {
    [label]: label === 'shards' ? r.shards : r.scenario,
    requests: r.reserveRequests + r.completeRequests,
    'SKUs sold out': r.skusSoldOut,
    commands: r.commands,
    'peak decisions/s': r.peakDecisionsPerSecond,
    walks: r.walks,
    'transfer requests': r.visits,
    transfers: r.transfers,
    'units moved': r.unitsMoved,
    undrains: r.undrains,
    'expired holds': r.expiredHolds,
    replayed: r.replayed,
    oversold: r.oversold,
    stranded: r.stranded,
    conserved: r.conserved ? 'yes' : 'NO',
  };
}

export function sensitivityRows(study: Study): Row[] {
  return study.sensitivity.flatMap((s) =>
    s.runs.map((r) => ({ profile: s.profile.name, shards: r.shards, 'p50 ms': ms(r.p50), 'p99 ms': ms(r.p99), '503 answers': r.overloaded + r.unavailable, 'sell-out s': r.sellOutSeconds === null ? null : Math.round(r.sellOutSeconds * 100) / 100, [`p99 < ${P99_TARGET_MS} ms`]: r.p99 !== null && r.p99 < P99_TARGET_MS ? 'yes' : 'no' })),
  );
}

export function headlineRows(study: Study, c: Calibration): Row[] {
  const rows: Row[] = [
    { profile: `${c.headline.name} (headline)`, 'shards for p99 < 80 ms': study.minimalShards ?? `none of ${study.hotSku.map((r) => r.shards).join(', ')}`, 'p99 there ms': ms(study.hotSku.find((r) => Number(r.shards) === study.minimalShards)?.p99 ?? null) },
  ];
  for (const r of study.depths.filter((d) => meetsTarget(d) && Number(d.shards) < (study.minimalShards ?? Infinity))) {
    rows.push({ profile: `${c.headline.name}, D = ${depth(r.depth)}`, 'shards for p99 < 80 ms': r.shards, 'p99 there ms': ms(r.p99) });
  }
  for (const s of study.sensitivity) {
    rows.push({ profile: s.profile.name, 'shards for p99 < 80 ms': s.minimalShards ?? 'none of 16–64', 'p99 there ms': ms(s.runs.find((r) => Number(r.shards) === s.minimalShards)?.p99 ?? null) });
  }
  const g = study.groupCommit;
  const best = g.hotSku.reduce((a, b) => ((b.answerP99 ?? Infinity) < (a.answerP99 ?? Infinity) ? b : a));
  rows.push({
    profile: `${c.headline.name}, group commit B = ${g.max}${g.where === 'object' ? ' in the object' : ' in Worker lanes'}: p99 of ALL answers`,
    'shards for p99 < 80 ms': g.minimalShards ?? `none of ${g.hotSku.map((r) => r.shards).join(', ')} (best ${ms(best.answerP99)} ms at ${best.shards})`,
    'p99 there ms': ms(g.hotSku.find((r) => Number(r.shards) === g.minimalShards)?.answerP99 ?? null),
  });
  const f = study.walkFanout;
  const bestFanout = f.runs.reduce((a, b) => ((b.result.answerP99 ?? Infinity) < (a.result.answerP99 ?? Infinity) ? b : a));
  rows.push({
    profile: `${c.headline.name}, walks asking several siblings at once: p99 of ALL answers`,
    'shards for p99 < 80 ms': f.minimal
      ? `${f.minimal.shards} (fan-out ${fanoutName(f.minimal.walkFanout)}, B = ${f.minimal.batchMax})`
      : `none (best ${ms(bestFanout.result.answerP99)} ms at ${bestFanout.result.shards}, fan-out ${fanoutName(bestFanout.result.walkFanout)}, B = ${bestFanout.batchMax})`,
    'p99 there ms': ms(f.minimal ? (f.runs.find((r) => Number(r.result.shards) === f.minimal!.shards && r.result.walkFanout === f.minimal!.walkFanout && r.batchMax === f.minimal!.batchMax)?.result.answerP99 ?? null) : null),
  });
  return rows;
}

/** A sale with group commit: every final answer, the accepted and the refused apart, and the batches. */
export function batchedRow(r: SaleResult, label: 'shards' | 'D'): Row {
  return {
    [label]: label === 'shards' ? r.shards : depth(r.depth),
    ...(label === 'D' ? { shards: r.shards } : {}),
    'mean / max batch': `${r.meanBatch.toFixed(2)} / ${r.maxBatch}`,
    'sell-out s': r.sellOutSeconds === null ? null : Math.round(r.sellOutSeconds * 100) / 100,
    'p50 / p99 all answers ms': `${ms(r.answerP50) ?? '–'} / ${ms(r.answerP99) ?? '–'}`,
    'p50 / p99 accepted ms': `${ms(r.p50) ?? '–'} / ${ms(r.p99) ?? '–'}`,
    'p50 / p99 refused ms': `${ms(r.refusedP50) ?? '–'} / ${ms(r.refusedP99) ?? '–'}`,
    accepted: r.accepted,
    'refused at the edge': r.edgeRefusals,
    '409 stock': r.insufficientStock,
    '503 answers': r.overloaded + r.unavailable,
    'gave up': r.gaveUp,
    'peak decisions/s': r.peakDecisionsPerSecond,
    [`all p99 < ${P99_TARGET_MS} ms`]: r.answerP99 !== null && r.answerP99 < P99_TARGET_MS ? 'yes' : 'no',
    'oversold / stranded': `${r.oversold} / ${r.stranded}`,
  };
}

/** A sale whose walks ask several siblings at once: every final answer, and the transfers it took. */
export function fanoutRow({ batchMax, result: r }: FanoutRun): Row {
  return {
    shards: r.shards,
    B: batchMax,
    'fan-out': fanoutName(r.walkFanout),
    'p50 / p99 all answers ms': `${ms(r.answerP50) ?? '–'} / ${ms(r.answerP99) ?? '–'}`,
    'p50 / p99 accepted ms': `${ms(r.p50) ?? '–'} / ${ms(r.p99) ?? '–'}`,
    'p50 / p99 refused ms': `${ms(r.refusedP50) ?? '–'} / ${ms(r.refusedP99) ?? '–'}`,
    '503 answers': r.overloaded + r.unavailable,
    walks: r.walks,
    'transfer requests': r.visits,
    'transfers (late)': `${r.transfers} (${r.lateTransfers})`,
    'units moved (late)': `${r.unitsMoved} (${r.lateUnits})`,
    undrains: r.undrains,
    [`all p99 < ${P99_TARGET_MS} ms`]: r.answerP99 !== null && r.answerP99 < P99_TARGET_MS ? 'yes' : 'no',
    'oversold / stranded': `${r.oversold} / ${r.stranded}`,
  };
}

export function batchedScalingRows(study: Study): Row[] {
  return study.groupCommit.scaling.map((s) => ({ profile: s.profile, shards: s.shards, 'reservations/s': Math.round(s.rps), 'per shard': Math.round(s.perShard), 'mean batch': Math.round(s.meanBatch * 10) / 10, 'target ≥ 32,000/s': s.rps >= 32_000 ? 'met' : 'NOT MET' }));
}

export function outageHeadline(study: Study): Row[] {
  const o = study.outage;
  return [
    {
      shards: o.shards,
      'honest availability (definitive ≤ 2 s)': percent(o.availability.share),
      'target ≥ 99.99%': o.availability.share >= 0.9999 ? 'met' : 'NOT MET',
      'p99 all answers ms': ms(o.availability.answerP99),
      '503 with Retry-After': o.overloaded + o.unavailable,
      'replayed after a lost answer': o.replayed,
      oversold: o.oversold,
      stranded: o.stranded,
    },
  ];
}

/** Every sale's safety checks: a violation anywhere fails the run. */
export function violations(study: Study): string[] {
  const all = [...study.hotSku, ...study.sensitivity.flatMap((s) => s.runs), ...study.depths, ...study.catalogue, study.outage, ...study.groupCommit.hotSku, ...study.groupCommit.depths, ...study.walkFanout.runs.map((r) => r.result)];
  return all.flatMap((r) => {
    const where = `${r.scenario} (${r.profile}, ${r.shards} shards, D ${depth(r.depth)})`;
    return [
      ...(r.oversold > 0 ? [`${where}: ${r.oversold} units oversold`] : []),
      ...(r.stranded > 0 ? [`${where}: ${r.stranded} units stranded`] : []),
      ...(r.conserved ? [] : [`${where}: units not conserved`]),
    ];
  });
}
