import type { Command } from 'commander';
import type { WarehouseRow, WarehousesReport } from '../../feed/status';
import { withCli } from '../context';
import { EXIT } from '../exit';
import { examples } from '../help';
import { table } from '../table';

/** What needs a look: a warehouse that does not answer, a feed held up, or no replica following it. */
export function problemsOf(report: WarehousesReport): string[] {
  return report.warehouses.flatMap((w): string[] => {
    const problems: string[] = [];
    if (!w.health.ok) problems.push(`${w.id}: the warehouse does not answer: ${w.health.detail}`);
    if (report.feed === 'off') return problems;
    const live = w.follower.live;
    if (!w.follower.endpoint) problems.push(`${w.id}: no replica follows it now (partition ${w.follower.partition}): the group is rebalancing, or the feed has not started; ask again in a moment`);
    else if (!live) problems.push(`${w.id}: its follower ${w.follower.endpoint} did not answer`);
    if (live?.lastError && (live.state === 'stalled' || live.state === 'backing_off')) {
      const since = new Date(live.lastError.at).toISOString();
      problems.push(`${w.id}: ${live.state === 'stalled' ? 'stalled' : 'backing off'} at sequence ${live.cursor.sequence} (${live.lastError.step}, ${live.lastError.attempts} attempt${live.lastError.attempts === 1 ? '' : 's'}, last ${since}): ${live.lastError.message}`);
    }
    return problems;
  });
}

const state = (report: WarehousesReport, w: WarehouseRow) => (report.feed === 'off' ? 'off' : (w.follower.live?.state ?? '?'));
const follower = (w: WarehouseRow) => (w.follower.endpoint ? `${w.follower.endpoint} (p${w.follower.partition})` : `- (p${w.follower.partition})`);
const lastDocument = (w: WarehouseRow) => (w.cursor?.document ? `${w.cursor.document} ${w.cursor.movement ?? ''}`.trim() : null);

/** One line per warehouse, then a line per problem; the feed's cursor as committed, its state as its follower says. */
export function warehousesTable(report: WarehousesReport): string {
  const rows = report.warehouses.map((w) => [
    w.id,
    w.kind,
    w.health.ok ? 'ok' : 'DOWN',
    w.cursor?.sequence ?? 0,
    w.latest,
    w.lag,
    lastDocument(w),
    w.cursor?.at ?? null,
    follower(w),
    state(report, w),
  ]);
  const lines = [table(['WAREHOUSE', 'KIND', 'HEALTH', 'CURSOR', 'LATEST', 'LAG', 'LAST DOCUMENT', 'AT', 'FOLLOWER', 'STATE'], rows)];
  if (report.feed === 'off') lines.push('the feed is off in this bridge (FEED=off): stock is not fed from the warehouses');
  const problems = problemsOf(report);
  lines.push(...problems, problems.length === 0 ? `${report.warehouses.length} warehouse${report.warehouses.length === 1 ? '' : 's'}, all answering${report.feed === 'on' ? ' and followed' : ''}` : '');
  return lines.filter(Boolean).join('\n');
}

export function registerWarehouses(program: Command): void {
  program
    .command('warehouses')
    .description("each configured warehouse (its kind: soap or odata): whether it answers (a ListMovements probe), the feed's cursor, the warehouse's latest sequence and the lag, the last document read and when, the replica following it")
    .addHelpText(
      'after',
      '\nExit code: 0 every warehouse answers and is followed, 1 one is down, its feed is held up or no replica follows it.\n' +
        examples('inventory warehouses', 'inventory --json warehouses'),
    )
    .action(
      withCli(async (cli) => {
        const report = await cli.bridge.warehouses();
        cli.print(report, () => warehousesTable(report));
        return problemsOf(report).length === 0 ? EXIT.ok : EXIT.problems;
      }),
    );
}
