import type { Command } from 'commander';
import { integer } from '../args';
import { withCli } from '../context';
import { examples } from '../help';
import { table } from '../table';

/** Enough of a record to recognise it in a table; `--json` has all of it. */
const preview = (value: string) => (value.length > 60 ? `${value.slice(0, 57)}...` : value);

export function registerDlq(program: Command): void {
  const group = program
    .command('dlq')
    .description("the bridge's dead letters: records a consumer could not handle")
    .addHelpText('after', examples('inventory dlq list', 'inventory dlq requeue --offset 3'));

  group
    .command('list')
    .description('one page of dead letters (100 by default), with the topic each came from and why; the next page is named after it')
    .option('--partition <n>', 'the dead-letter partition to read', integer(0, 1_000_000), 0)
    .option('--from <offset>', 'the first offset of the page', '0')
    .option('--limit <n>', 'dead letters per page (at most 1000)', integer(1, 1_000), 100)
    .addHelpText('after', examples('inventory dlq list', 'inventory dlq list --partition 2 --from 100', 'inventory --json dlq list --limit 1000'))
    .action(
      withCli(async (cli, options: { partition: number; from: string; limit: number }) => {
        const page = await cli.bridge.deadLetters(options);
        cli.print(page, () =>
          page.total === 0
            ? 'no dead letters'
            : table(
                ['PARTITION', 'OFFSET', 'KEY', 'FROM', 'GROUP', 'REASON', 'AT', 'VALUE'],
                page.records.map((r) => [String(r.partition), r.offset, r.key, r.headers?.['dlq-topic'], r.headers?.['dlq-group'], r.headers?.['dlq-reason'], new Date(r.timestamp).toISOString(), preview(r.value)]),
              ),
        );
        // On stderr, so stdout stays the page (and with --json, `next` is in the document).
        if (page.next && !cli.options.json) process.stderr.write(`more: inventory dlq list --partition ${page.next.partition} --from ${page.next.from}\n`);
      }),
    );

  group
    .command('requeue')
    .description('put dead letters back on the topic they came from (all of them, or the given offsets); consumers drop what they already applied')
    .option('--offset <offset...>', 'only these dead letters (offsets as `dlq list` shows them)')
    .addHelpText('after', examples('inventory dlq requeue', 'inventory dlq requeue --offset 3 7'))
    .action(
      withCli(async (cli, options: { offset?: string[] }) => {
        const result = await cli.bridge.requeue(options.offset);
        cli.print(result, () => `requeued ${result.requeued} dead letter${result.requeued === 1 ? '' : 's'}`);
      }),
    );
}
