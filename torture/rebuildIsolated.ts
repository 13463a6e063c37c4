import type { ConsumedRecord } from '../bridge/eventLog/port';
import { evolve, initialSkuState, skuCounters, type SkuCounters } from '../src/domain/sku';
import type { Check, Folded } from './checkTypes';
import { versionsBelow, type RebuildCut } from './rebuildCut';

const FIELDS = ['onHand', 'reserved', 'sold', 'available', 'limitPerCustomer', 'version', 'asOf'] as const;

/** The SKU's counters at `version`: its log folded up to there. */
function foldTo(log: Folded['log'], version: number): SkuCounters {
  let state = initialSkuState();
  for (const e of log) {
    if (e.version > version) break;
    state = evolve(state, e);
  }
  return skuCounters(state);
}

/**
 * The mid-run rebuild on its own, not the read model live writes have since overwritten: what it
 * sent for each SKU (recorded by the tap) is the fold of that SKU's log at one version, and that
 * version lies at the rebuild's cut, between the newest event below the end offsets read before
 * the rebuild was asked for and the newest below those read once its replay was over. A SKU with
 * events before the cut that the rebuild never sent is missing from the shadow it switched to.
 */
export function rebuildIsolated(folded: readonly Folded[], cut: RebuildCut | null, sent: ReadonlyMap<string, SkuCounters> | undefined, records: readonly ConsumedRecord[]): Check {
  const check = 'rebuild in isolation: what it sent = the fold of each log at its cut';
  if (!cut) return { check, checked: 0, violations: [] };
  if (!sent) return { check, checked: 0, violations: [`nothing recorded for the rebuilt generation ${cut.generation}`] };
  const low = versionsBelow(records, cut.before);
  const high = versionsBelow(records, cut.after);
  const violations: string[] = [];
  for (const { sku, log } of folded) {
    const [min, max] = [low.get(sku) ?? 0, high.get(sku) ?? 0];
    const view = sent.get(sku);
    if (!view) {
      if (min > 0) violations.push(`${sku}: not sent, though the log had v${min} before the cut`);
      continue;
    }
    if (view.version < min || view.version > max) violations.push(`${sku}: sent at v${view.version}, outside the cut (v${min}..v${max})`);
    const truth = foldTo(log, view.version);
    const wrong = FIELDS.filter((f) => view[f] !== truth[f]);
    if (wrong.length) violations.push(`${sku} v${view.version}: sent ${JSON.stringify(view)}, the log folds to ${JSON.stringify(truth)} (${wrong.join(', ')})`);
  }
  return { check, checked: folded.length, violations };
}
