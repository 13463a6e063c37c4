import type { Command } from 'commander';
import type { z } from 'zod';
import type { RelayStatusSchema } from '../../../src/contract/schemas';
import { BridgeHealthSchema, type BridgeGroup, type BridgeStatus } from '../api/bridge';
import { collect, sku } from '../args';
import { withCli, type Cli } from '../context';
import { CallFailed, EXIT } from '../exit';
import { examples } from '../help';
import { hintFor } from '../hints';
import type { Reply } from '../http';
import { table } from '../table';
import { groupTable, NO_OWNERS, partitionRanges } from './group';

/** `failed`: the component could not be asked (exit 3), as opposed to answering that it is unwell (exit 1). */
type Check = { component: string; ok: boolean; failed: boolean; detail: string };
type Relay = z.infer<typeof RelayStatusSchema>;

const check = (component: string, ok: boolean, detail: string): Check => ({ component, ok, failed: false, detail });

/** Every probe runs whatever the others did: a call that failed becomes a failed check, not the end of the command. */
const settle = <T>(call: Promise<T>): Promise<T | CallFailed> => call.catch((error) => (error instanceof CallFailed ? error : Promise.reject(error)));

function judge<T>(component: string, result: T | CallFailed, checks: (value: T) => Check | Check[]): Check[] {
  if (result instanceof CallFailed) return [{ component, ok: false, failed: true, detail: result.message }];
  return [checks(result)].flat();
}

const healthz = (component: string, url: string) => (reply: Reply) =>
  check(component, reply.status === 200, reply.status === 200 ? url : `${url} answered HTTP ${reply.status}`);

/** A 503 is an answer too: the bridge is up but its log is not, and the body says why. */
const bridgeHealth = (url: string) => (reply: Reply) => {
  const body = BridgeHealthSchema.safeParse(reply.body);
  return body.success && !body.data.log.ok ? check('bridge', false, `${url}: log unavailable: ${body.data.log.detail}`) : healthz('bridge', url)(reply);
};

const fromBridgeStatus = ({ log, wms, sagas }: BridgeStatus): Check[] => [
  check('event log', log.ok, `${log.adapter} log: ${log.detail}`),
  check('wms from bridge', wms.ok, wms.detail),
  // A stuck saga waits for an operator (`sagas list --phase stuck`, `sagas retry`); an overdue
  // one is a completed purchase the WMS has not answered past the deadline (retried by itself).
  sagas
    ? check('sagas', sagas.stuck === 0 && sagas.overdue === 0, Object.entries(sagas).map(([phase, n]) => `${phase} ${n}`).join(', '))
    : check('sagas', true, 'the saga is off in this bridge'),
];

/** Every partition's sagas need an owner; none (a rebalance) is normal for seconds only. Without the saga there is no group. */
const fromGroup = (sagasOn: boolean) => (group: BridgeGroup): Check => {
  if (!sagasOn) return check('bridge group', true, 'the saga is off in this bridge');
  if (group.members.length === 0) return check('bridge group', false, NO_OWNERS);
  const owned = group.members.reduce((n, m) => n + m.partitions.length, 0);
  const asked = group.self ? `; asked ${group.self} (partitions ${partitionRanges(group.partitions) || 'none'})` : '';
  return check('bridge group', true, `${group.members.length} replica${group.members.length === 1 ? '' : 's'}, ${owned} partition${owned === 1 ? '' : 's'} owned${asked}`);
};

/** Pending events are normal between two pushes; failed pushes in a row are not. */
function relayCheck(relay: Relay): Check {
  const detail = `pending ${relay.pending}, relayed ${relay.relayedVersion}/${relay.lastVersion}, attempts ${relay.attempts}`;
  return check(`relay ${relay.sku}`, relay.attempts === 0, relay.lastError ? `${detail}, last error: ${relay.lastError}` : detail);
}

async function status(cli: Cli, skus: readonly string[]) {
  const { edgeUrl, bridgeAdminUrl, wmsUrl } = cli.options;
  const [edge, bridge, admin, group, wms, relays] = await Promise.all([
    settle(cli.edge.health()),
    settle(cli.bridge.health()),
    settle(cli.bridge.status()),
    settle(cli.bridge.group()),
    settle(cli.wmsAdmin.health()),
    Promise.all(skus.map((id) => settle(cli.edge.relay(id)))),
  ]);
  const checks = [
    ...judge('edge', edge, healthz('edge', edgeUrl)),
    ...judge('bridge', bridge, bridgeHealth(bridgeAdminUrl)),
    ...judge('bridge admin', admin, fromBridgeStatus),
    ...judge('bridge group', group, fromGroup(admin instanceof CallFailed || admin.sagas !== null)),
    ...judge('wms', wms, healthz('wms', wmsUrl)),
    ...relays.flatMap((relay, i) => judge(`relay ${skus[i]}`, relay, relayCheck)),
  ];
  return {
    healthy: checks.every((c) => c.ok),
    checks,
    bridge: admin instanceof CallFailed ? null : admin,
    /** Which replica owns which partitions (`inventory group`), as the bridge asked sees it. */
    group: group instanceof CallFailed ? null : group,
    relay: relays.filter((r) => !(r instanceof CallFailed)),
  };
}

const stateOf = (c: Check) => (c.failed ? 'FAILED' : c.ok ? 'ok' : 'UNHEALTHY');

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('health of the edge, the bridge (event log, WMS reachability, sagas by phase, its replicas\' partitions) and the WMS; with --sku, relay lag')
    .option('--sku <sku...>', 'also show these SKUs\' outbox relay to the bridge', collect(sku))
    .addHelpText(
      'after',
      '\nExit code: 0 all healthy, 1 something unhealthy, 3 a component could not be asked.\n' +
        examples('inventory status', 'inventory status --sku SNEAKER-42 HOODIE-M', 'inventory --json status'),
    )
    .action(
      withCli(async (cli, options: { sku?: string[] }) => {
        const report = await status(cli, options.sku ?? []);
        const failed = report.checks.filter((c) => c.failed);
        // The table already says what failed; with --json (stdout for machines) stderr says it once.
        if (cli.options.json) for (const c of failed) process.stderr.write(`error: ${c.detail}\n`);
        cli.print(report, () => {
          const checks = table(['COMPONENT', 'STATE', 'DETAIL'], report.checks.map((c) => [c.component, stateOf(c), c.detail]));
          // Who owns what, once the group has owners (a rebalance or the saga off is in the checks already).
          return report.group && report.group.members.length > 0 ? `${checks}\n\nbridge group\n${groupTable(report.group)}` : checks;
        });
        const hints = new Set(failed.map((c) => hintFor(c.detail)).filter((h) => h !== null));
        for (const hint of hints) process.stderr.write(`${hint}\n`);
        if (report.checks.some((c) => c.failed)) return EXIT.failed;
        return report.healthy ? EXIT.ok : EXIT.problems;
      }),
    );
}
