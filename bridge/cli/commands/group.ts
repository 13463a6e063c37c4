import type { Command } from 'commander';
import type { BridgeGroup } from '../api/bridge';
import { withCli } from '../context';
import { EXIT } from '../exit';
import { examples } from '../help';
import { table } from '../table';

/** `0-5,8,10-11`: a replica's partitions at a glance, however many there are. */
export function partitionRanges(partitions: readonly number[]): string {
  const sorted = [...new Set(partitions)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    ranges.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return ranges.join(',');
}

export const NO_OWNERS = 'no replica owns a partition now: the group is rebalancing (ask again in a moment), or the bridge runs without the saga (SAGA=off)';

/** A replica's sagas: how many it holds, and those waiting (stuck) or overdue, which need a look. */
function sagaSummary(sagas: BridgeGroup['members'][number]['sagas']): string {
  if (!sagas) return '?';
  const total = Object.values(sagas).reduce((n, count) => n + count, 0);
  const attention = (['stuck', 'overdue'] as const).filter((phase) => (sagas[phase] ?? 0) > 0).map((phase) => `${sagas[phase]} ${phase}`);
  return attention.length === 0 ? String(total) : `${total} (${attention.join(', ')})`;
}

/**
 * One line per replica (its admin endpoint, as the replicas advertise it to each other), the
 * one asked marked; SAGAS `?` for a replica that could not be asked just now.
 */
export function groupTable(group: BridgeGroup): string {
  if (group.members.length === 0) return NO_OWNERS;
  const owned = group.members.reduce((n, m) => n + m.partitions.length, 0);
  const rows = group.members.map((m) => [m.endpoint, partitionRanges(m.partitions), m.partitions.length, sagaSummary(m.sagas), m.self ? 'yes' : '']);
  const replicas = `${group.members.length} replica${group.members.length === 1 ? '' : 's'}`;
  return `${table(['REPLICA', 'PARTITIONS', 'COUNT', 'SAGAS', 'ASKED'], rows)}\n${replicas} own${group.members.length === 1 ? 's' : ''} ${owned} partition${owned === 1 ? '' : 's'}`;
}

export function registerGroup(program: Command): void {
  program
    .command('group')
    .description("the bridge replicas, the partitions each owns and the sagas it runs on them, as the replica at --bridge-admin-url sees the group")
    .addHelpText(
      'after',
      '\nExit code: 0 the partitions have owners, 1 none now (rebalancing, or the saga is off).\n' +
        examples('inventory group', 'inventory --json group', 'BRIDGE_ADMIN_URL=http://127.0.0.1:8799 inventory group'),
    )
    .action(
      withCli(async (cli) => {
        const group = await cli.bridge.group();
        cli.print(group, () => groupTable(group));
        return group.members.length === 0 ? EXIT.problems : EXIT.ok;
      }),
    );
}
