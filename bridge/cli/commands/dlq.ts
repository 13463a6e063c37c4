import type { Command } from 'commander';
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
    .description('every dead letter, with the topic it came from and why')
    .addHelpText('after', examples('inventory dlq list', 'inventory --json dlq list'))
    .action(
      withCli(async (cli) => {
        const letters = await cli.bridge.deadLetters();
        cli.print(letters, () =>
          letters.total === 0
            ? 'no dead letters'
            : table(
                ['OFFSET', 'KEY', 'FROM', 'GROUP', 'REASON', 'AT', 'VALUE'],
                letters.records.map((r) => [r.offset, r.key, r.headers?.['dlq-topic'], r.headers?.['dlq-group'], r.headers?.['dlq-reason'], new Date(r.timestamp).toISOString(), preview(r.value)]),
              ),
        );
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
