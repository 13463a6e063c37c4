import type { Cli } from '../context';
import { table } from '../table';
import { compareLevels, type LevelComparison, type LevelDifference } from './levels';
import { gatherLevels } from './levelsGather';
import { repairLevel, type LevelRepair } from './levelsRepair';
import type { WarehouseSystem } from './warehouses';

export type LevelsReconciled = LevelComparison & { repaired: LevelRepair[] };

const isSettled = (d: LevelDifference) => d.kind === 'differs';

/** Stock levels, warehouse by warehouse: compared, and with `repair` the settled differences adjusted at the edge. */
export async function reconcileLevels(
  cli: Cli,
  systems: readonly WarehouseSystem[],
  { given, also, repair }: { given: readonly string[]; also: readonly string[]; repair: boolean },
): Promise<LevelsReconciled[]> {
  const results: LevelsReconciled[] = [];
  for (const system of systems) {
    const { client, ...warehouse } = system;
    const comparison = compareLevels(await gatherLevels(cli, warehouse, await client(), given, also));
    const repaired: LevelRepair[] = [];
    if (repair) for (const d of comparison.differences.filter(isSettled)) repaired.push(await repairLevel(d, cli.edge));
    results.push({ ...comparison, repaired });
  }
  return results;
}

/** Settled differences no repair fixed. */
export const levelsLeft = (results: readonly LevelsReconciled[]) =>
  results.reduce((n, r) => n + r.differences.filter(isSettled).length - r.repaired.filter((x) => x.ok).length, 0);

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const documentCell = (d: Pick<LevelDifference, 'document'>) => (d.document ? `${d.document.document} (#${d.document.sequence})` : 'none');

export function levelsReport(results: readonly LevelsReconciled[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const settled = r.differences.filter(isSettled).length;
    lines.push(
      '',
      `stock levels at ${r.warehouse}: locations compared ${r.compared} over ${r.skus.length} SKUs; SKUs naming no location (not compared): ${r.unlocated.length}`,
      `units on hand: edge ${r.units.edge}, warehouse ${r.units.wms} (physical + shipped)`,
      `level differences: ${settled}; in flight: ${r.differences.length - settled} (the feed and the warehouse at different documents: not repaired, not counted)`,
    );
    if (r.repaired.length > 0) lines.push(`levels repaired: ${r.repaired.filter((x) => x.ok).length} of ${r.repaired.length}`);
    if (r.differences.length > 0) {
      const rows = r.differences.map((d) => [d.kind, d.sku, d.location, d.warehouse, d.edge, d.wms, signed(d.difference), documentCell(d)]);
      lines.push('', table(['KIND', 'SKU', 'LOCATION', 'WAREHOUSE', 'EDGE', 'WMS', 'DIFFERENCE', 'LAST DOCUMENT'], rows));
    }
    if (r.repaired.length > 0) {
      const rows = r.repaired.map((x) => [x.sku, x.location, signed(x.difference), documentCell(x), x.ok ? `adjusted: on hand ${x.onHand}` : x.error]);
      lines.push('', table(['SKU', 'LOCATION', 'ADJUSTMENT', 'CITING', 'RESULT'], rows));
    }
  }
  // A blank line before each warehouse's part, after the allocations'.
  return `\n${lines.join('\n')}`;
}
