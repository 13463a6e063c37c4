import type { Command } from 'commander';
import { DEFAULT_LOCATION, foldLedger, locationAvailable, locationsOf, type LocationStock, type SkuState } from '../../../src/domain/sku';
import { sku } from '../args';
import type { Cli } from '../context';
import { withCli } from '../context';
import { examples } from '../help';
import { table } from '../table';

type Counts = { onHand: number; reserved: number; sold: number; available: number };
export type StockRow = Counts & Pick<LocationStock, 'location' | 'priority' | 'region' | 'feed'>;
export type StockReport = { sku: string; version: number; shards: number; locations: StockRow[]; total: Counts };

/** One row per location (the one implicit `default` of a SKU that names none), and their sums. */
export function stockReport(sku: string, state: SkuState): StockReport {
  const locations = locationsOf(state).map((l) => ({
    location: l.location,
    onHand: l.onHand,
    reserved: l.reserved,
    sold: l.sold,
    available: locationAvailable(l),
    priority: l.priority,
    region: l.region,
    feed: l.feed,
  }));
  const sum = (field: keyof Counts) => locations.reduce((n, l) => n + l[field], 0);
  return { sku, version: state.version, shards: state.shards, locations, total: { onHand: sum('onHand'), reserved: sum('reserved'), sold: sum('sold'), available: sum('available') } };
}

/**
 * The SKU's state folded from its log (the view lacks priority and region). A sharded SKU's units
 * of each location are spread over its shards: the rows are their sums, with the priority, region
 * and feed shard 0 records (a location's documents are applied there).
 */
async function stockOf(cli: Cli, id: string): Promise<StockReport> {
  const report = stockReport(id, foldLedger(await cli.edge.events(id, 0)).state);
  if (report.shards <= 1) return report;
  const { total } = await cli.edge.shards(id);
  const atShard0 = new Map(report.locations.map((l) => [l.location, l]));
  const summed = total.locations ?? [{ location: DEFAULT_LOCATION, onHand: total.onHand, reserved: total.reserved, sold: total.sold, available: total.available }];
  const locations = summed.map(({ location, onHand, reserved, sold, available }) => {
    const { priority, region, feed } = atShard0.get(location) ?? { priority: 0, region: null, feed: null };
    return { location, onHand, reserved, sold, available, priority, region, feed };
  });
  const counts = { onHand: total.onHand, reserved: total.reserved, sold: total.sold, available: total.available };
  return { ...report, version: total.version, locations, total: counts };
}

export function registerStock(program: Command): void {
  program
    .command('stock')
    .description("one SKU's stock location by location (fed by which warehouse, up to which document), and the totals")
    .argument('<sku>', 'the SKU (case-sensitive)', sku)
    .addHelpText(
      'after',
      [
        '',
        'A SKU that names no location shows one row, `default`. FED BY and SEQUENCE: the warehouse whose',
        'documents set the location\'s stock, and the last one applied; "-" for stock set by an admin.',
        examples('inventory stock SNEAKER-42', 'inventory --json stock SNEAKER-42'),
      ].join('\n'),
    )
    .action(
      withCli(async (cli, id: string) => {
        const report = await stockOf(cli, id);
        const row = (l: StockRow) => [l.location, l.onHand, l.reserved, l.sold, l.available, l.feed?.warehouse, l.feed?.sequence, l.region, l.priority];
        const { total } = report;
        cli.print(report, () =>
          table(
            ['LOCATION', 'ON HAND', 'RESERVED', 'SOLD', 'AVAILABLE', 'FED BY', 'SEQUENCE', 'REGION', 'PRIORITY'],
            [...report.locations.map(row), ['total', total.onHand, total.reserved, total.sold, total.available]],
          ) + `\n${report.sku} at version ${report.version}`,
        );
      }),
    );
}
