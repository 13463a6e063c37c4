import type { Command } from 'commander';
import type { ArchiveReport, SnapshotsTaken } from '../../archive/wire';
import { withCli } from '../context';
import { EXIT } from '../exit';
import { examples } from '../help';
import { table } from '../table';
import { partitionRanges } from './group';

const when = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString());

export function archiveReport(report: ArchiveReport): string {
  const s = report.status;
  const lines = [`bucket: ${report.bucket}`];
  if (s) {
    lines.push(
      table(['', ''], [
        ['partitions archived here', partitionRanges(s.partitions) || '-'],
        ['streams', String(s.streams)],
        ['events waiting to be written', String(s.pendingEvents)],
        ['events archived (this run)', String(s.eventsArchived)],
        ['files / bytes written', `${s.filesWritten} / ${s.bytesWritten}`],
        ['snapshots written', String(s.snapshotsWritten)],
        ['last file written', when(s.lastFlushAt)],
        ['last snapshot', when(s.lastSnapshotAt)],
      ]),
    );
  } else lines.push('this replica\'s archiver is starting');
  if (report.members.length > 0) lines.push(table(['REPLICA', 'PARTITIONS'], report.members.map((m) => [m.endpoint, partitionRanges(m.partitions)])));
  return lines.join('\n');
}

const takenReport = ({ taken, unreachable }: SnapshotsTaken) =>
  [...taken.flatMap((t) => t.keys.map((key) => `${t.endpoint ?? 'this replica'}: ${key}`)), ...unreachable.map((u) => `${u}: could not be asked (no snapshot of its partitions)`)].join('\n') ||
  'no partition is owned now (the group is rebalancing): ask again in a moment';

export function registerArchive(program: Command): void {
  const group = program.command('archive').description('the event archive and snapshots in object storage (ARCHIVE=on): their state, snapshots on demand; query it with `inventory audit`');
  group
    .command('status')
    .description('the bucket, what this replica has archived and which replica archives which partitions')
    .addHelpText('after', examples('inventory archive status', 'inventory --json archive status'))
    .action(
      withCli(async (cli) => {
        const report = await cli.bridge.archive();
        cli.print(report, () => archiveReport(report));
        return EXIT.ok;
      }),
    );
  group
    .command('snapshot')
    .description('write a snapshot of every partition now (each replica its own), after writing what the archive has pending')
    .addHelpText('after', '\nExit code: 0 every replica wrote its snapshots, 1 one could not be asked.\n' + examples('inventory archive snapshot'))
    .action(
      withCli(async (cli) => {
        const taken = await cli.bridge.snapshot();
        cli.print(taken, () => takenReport(taken));
        return taken.unreachable.length === 0 ? EXIT.ok : EXIT.problems;
      }),
    );
}
