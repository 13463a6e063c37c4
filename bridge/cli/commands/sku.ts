import type { Command } from 'commander';
import type { SkuEvent } from '../../../src/domain/sku';
import { integer, sku } from '../args';
import { withCli } from '../context';
import { examples } from '../help';
import { table } from '../table';

/** The event's payload as `key=value` pairs: reservationId, qty, reason, whatever the type carries. */
const dataOf = (event: SkuEvent) =>
  Object.entries(event.data)
    .map(([key, value]) => `${key}=${value === null ? 'null' : String(value)}`)
    .join(' ');

export function registerSku(program: Command): void {
  const group = program
    .command('sku')
    .description("one SKU's event log, as its Durable Object keeps it")
    .addHelpText('after', examples('inventory sku events SNEAKER-42'));

  group
    .command('events')
    .description('the SKU\'s events in version order (every page, unless --limit)')
    .argument('<sku>', 'the SKU (case-sensitive)', sku)
    .option('--after <version>', 'only events after this version', integer(0), 0)
    .option('--limit <n>', 'at most this many events', integer(1))
    .addHelpText('after', examples('inventory sku events SNEAKER-42', 'inventory sku events SNEAKER-42 --after 100 --limit 20', 'inventory --json sku events SNEAKER-42 > log.json'))
    .action(
      withCli(async (cli, id: string, options: { after: number; limit?: number }) => {
        const events = await cli.edge.events(id, options.after, options.limit);
        cli.print(events, () =>
          events.length === 0
            ? `no events of ${id} after version ${options.after}`
            : table(['VERSION', 'TYPE', 'AT', 'DATA'], events.map((e) => [e.version, e.type, e.at, dataOf(e)])),
        );
      }),
    );
}
