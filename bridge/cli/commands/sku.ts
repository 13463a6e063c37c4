import type { Command } from 'commander';
import { streamOf, type SkuEvent } from '../../../src/domain/sku';
import { integer, sku } from '../args';
import { withCli } from '../context';
import { examples } from '../help';
import { table } from '../table';

/** The event's payload as `key=value` pairs: reservationId, qty, reason, whatever the type carries. */
const dataOf = (event: SkuEvent) =>
  Object.entries(event.data)
    .map(([key, value]) => `${key}=${value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');

export function registerSku(program: Command): void {
  const group = program
    .command('sku')
    .description("one SKU's event log, as its Durable Object keeps it")
    .addHelpText('after', examples('inventory sku events SNEAKER-42', 'inventory sku shards SNEAKER-42'));

  group
    .command('events')
    .description('the SKU\'s events in version order (every page, unless --limit)')
    .argument('<sku>', 'the SKU (case-sensitive)', sku)
    .option('--after <version>', 'only events after this version', integer(0), 0)
    .option('--limit <n>', 'at most this many events', integer(1))
    .option('--shard <k>', "one shard's stream of a sharded SKU (0: the SKU's own)", integer(0), 0)
    .addHelpText('after', examples('inventory sku events SNEAKER-42', 'inventory sku events SNEAKER-42 --after 100 --limit 20', 'inventory sku events SNEAKER-42 --shard 3', 'inventory --json sku events SNEAKER-42 > log.json'))
    .action(
      withCli(async (cli, id: string, options: { after: number; limit?: number; shard: number }) => {
        const stream = streamOf(id, options.shard);
        const events = await cli.edge.events(stream, options.after, options.limit);
        cli.print(events, () =>
          events.length === 0
            ? `no events of ${stream} after version ${options.after}`
            : table(['VERSION', 'TYPE', 'AT', 'DATA'], events.map((e) => [e.version, e.type, e.at, dataOf(e)])),
        );
      }),
    );

  group
    .command('shards')
    .description("the SKU's stock shard by shard, where each shard lives, and the sum (one row for an unsharded SKU)")
    .argument('<sku>', 'the SKU (case-sensitive)', sku)
    .addHelpText('after', examples('inventory sku shards SNEAKER-42'))
    .action(
      withCli(async (cli, id: string) => {
        const view = await cli.edge.shards(id);
        // A layout sharded before regions were recorded shows '-': Cloudflare placed those shards itself.
        const row = (name: string | number, region: string, c: typeof view.total) => [name, region, c.onHand, c.reserved, c.sold, c.available, c.version];
        cli.print(view, () =>
          table(
            ['SHARD', 'REGION', 'ON HAND', 'RESERVED', 'SOLD', 'AVAILABLE', 'VERSION'],
            [...view.shards.map((c) => row(c.shard, c.region ?? '-', c)), row('total', view.total.shardRegions?.join(',') ?? '', view.total)],
          ),
        );
      }),
    );
}
