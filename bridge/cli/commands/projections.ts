import { setTimeout as sleep } from 'node:timers/promises';
import { Option, type Command } from 'commander';
import { REBUILD_SOURCES, type Generations, type Projections, type RebuildRequest, type RebuildSource, type RebuildStatus } from '../api/bridge';
import { integer } from '../args';
import { withCli, type Cli } from '../context';
import { CallFailed, EXIT } from '../exit';
import { examples } from '../help';
import { meter } from '../progress';
import { barPayload, formatDuration, formatEta, formatRate, lineThrottle, progressLine, rebuildDuration } from '../projections/progress';
import { table } from '../table';

/** How often a waiting `rebuild` asks the bridge. */
const POLL_MS = 250;
/** Polls in a row that may fail (a bridge busy replaying can miss one) before the wait gives up. */
const POLL_ATTEMPTS = 3;
const FOLLOW = '`inventory projections status`';
/** Failed SKUs named in the table (`--json` has the bridge's whole list). */
const FAILED_SKUS_SHOWN = 10;

const time = (epochMs: number | null) => (epochMs === null ? null : new Date(epochMs).toISOString());

function generationsTable({ active, shadow, retiring }: Generations): string {
  return table(
    ['GENERATION', 'ROLE', 'WRITTEN UNTIL'],
    [[active, 'active', null], ...(shadow ? [[shadow, 'shadow', null]] : []), ...retiring.map((r) => [r.generation, 'retiring', time(r.until)])],
  );
}

function rebuildTable(r: RebuildStatus, now: number): string {
  const duration = formatDuration(rebuildDuration(r, now));
  return table(null, [
    ['rebuild', r.id],
    ['state', r.state],
    ['phase', r.phase],
    ['from', r.from],
    ...(r.endpoint ? [['bridge', r.endpoint]] : []),
    ['generation', `${r.generation} (previous ${r.previous})`],
    ['read', `${r.read}/${r.total} events`],
    ['replayed', `${r.replayed} events`],
    ['SKUs from snapshots', String(r.snapshotSkus)],
    ['events/s', formatRate(r.eventsPerSecond)],
    ...(r.state === 'running' ? [['ETA', formatEta(r.etaSeconds)]] : []),
    ...(r.superseded ? [['superseded', `${r.superseded} (a shadow another rebuild left behind, retired)`]] : []),
    ['started', time(r.startedAt)],
    ['duration', r.finishedAt === null ? `${duration} so far` : duration],
    ['failed SKUs', failedSkus(r)],
    ['error', r.error],
  ]);
}

/** How many SKU views failed on their last attempt, and the first few with the edge's code. */
function failedSkus(r: RebuildStatus): string {
  if (r.failedSkuCount === 0) return '0';
  const shown = r.failedSkus.slice(0, FAILED_SKUS_SHOWN).map((f) => `${f.sku} (${f.code}, ${f.attempts} attempt(s))`);
  const more = r.failedSkuCount > shown.length ? `, and ${r.failedSkuCount - shown.length} more` : '';
  return `${r.failedSkuCount}: ${shown.join(', ')}${more}`;
}

function statusReport({ generations, snapshots, rebuild }: Projections, now: number): string {
  const lag = `snapshots: ${snapshots.skus} SKU(s), ${snapshots.lagEvents} event(s) behind the log (what a rebuild from them replays)`;
  return `${generationsTable(generations)}\n${lag}\n\n${rebuild ? `last rebuild:\n${rebuildTable(rebuild, now)}` : 'no rebuild yet'}`;
}

/** What a switched rebuild did, and what readers use now. */
function summary(r: RebuildStatus, generations: Generations): string {
  const retiring = generations.retiring.find((g) => g.generation === r.previous);
  return [
    `rebuild ${r.id} switched: ${generations.active} is the active generation`,
    table(null, [
      ['from', r.from],
      ['events read', `${r.read} of ${r.total}`],
      ['replayed', String(r.replayed)],
      ['SKUs from snapshots', String(r.snapshotSkus)],
      ['duration', formatDuration(rebuildDuration(r, Date.now()))],
      ['active', generations.active],
      ['previous', retiring ? `${r.previous} (still written until ${time(retiring.until)})` : r.previous],
    ]),
  ].join('\n');
}

type Finished = { generations: Generations; rebuild: RebuildStatus };

/**
 * Polls the bridge until the rebuild it started is no longer running, showing its progress on
 * stderr: a bar for a person at a terminal, otherwise a line at most every 2 s. The rebuild is the
 * bridge's: Ctrl-C or a lost bridge end the wait, not the rebuild.
 */
async function follow(cli: Cli, started: RebuildStatus, showBar: boolean): Promise<Finished> {
  const bar = meter<ReturnType<typeof barPayload>>(`rebuild ${started.generation} [{bar}] {value}/{total} events | {phase} | {rate} events/s | ETA {remaining}`, showBar);
  const lineDue = showBar ? () => false : lineThrottle();
  const show = (r: RebuildStatus) => {
    bar.update(r.read, Math.max(r.total, r.read), barPayload(r));
    if (lineDue(Date.now())) process.stderr.write(`${progressLine(r)}\n`);
  };
  const interrupted = () => {
    bar.stop();
    process.stderr.write(`stopped waiting; rebuild ${started.id} goes on at the bridge: ${FOLLOW} follows it\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    show(started);
    for (let failures = 0; ; ) {
      let reply: Projections;
      try {
        reply = await cli.bridge.projections();
        failures = 0;
      } catch (error) {
        if (!(error instanceof CallFailed)) throw error;
        if (++failures >= POLL_ATTEMPTS) throw new CallFailed(`${error.message}; rebuild ${started.id} may go on at the bridge: ${FOLLOW} follows it`, error.code);
        await sleep(POLL_MS);
        continue;
      }
      const { generations, rebuild } = reply;
      if (rebuild?.id !== started.id) {
        const last = rebuild ? `its last rebuild is ${rebuild.id}` : 'it reports no rebuild';
        throw new CallFailed(`the bridge no longer reports rebuild ${started.id} (${last}; restarted?): ${FOLLOW} shows where things stand`);
      }
      if (rebuild.state !== 'running') return { generations, rebuild };
      show(rebuild);
      await sleep(POLL_MS);
    }
  } finally {
    bar.stop();
    process.off('SIGINT', interrupted);
  }
}

type RebuildOptions = { from: RebuildSource; graceSeconds?: number; wait: boolean };

export function registerProjections(program: Command): void {
  const group = program
    .command('projections')
    .description('the read models (SKU views in KV) by generation, and rebuilding them from the event log')
    .addHelpText('after', examples('inventory projections status', 'inventory projections rebuild', 'inventory projections rebuild --from beginning --grace-seconds 120'));

  group
    .command('status')
    .description('the active, shadow and retiring generations, and the last (or current) rebuild')
    .addHelpText(
      'after',
      '\nExit code: 0 ok, 1 the last rebuild failed, 3 the bridge could not be asked.\n' +
        examples('inventory projections status', 'inventory --json projections status'),
    )
    .action(
      withCli(async (cli) => {
        const reply = await cli.bridge.projections();
        cli.print(reply, () => statusReport(reply, Date.now()));
        return reply.rebuild?.state === 'failed' ? EXIT.problems : EXIT.ok;
      }),
    );

  group
    .command('rebuild')
    .description('rebuild the read models into a new shadow generation and switch readers to it once it has caught up; waits for the switch unless --no-wait')
    .addOption(
      new Option('--from <source>', 'snapshots: each SKU\'s newest snapshot and the events after it; beginning: the whole event log; archive: the newest sound snapshot of each partition in object storage, the archive after it, then the log (ARCHIVE=on)')
        .choices(REBUILD_SOURCES)
        .default('snapshots'),
    )
    .option('--grace-seconds <n>', 'how long the old generation is still written after the switch, for readers that still use it (default: the bridge\'s)', integer(0, 86_400))
    .option('--no-wait', 'return once the bridge has started it (follow it with `projections status`)')
    .addHelpText(
      'after',
      [
        '',
        'Live writes reach the shadow generation while it is rebuilt; readers keep the active one until the switch.',
        'While waiting: a progress bar on stderr at a terminal, otherwise a progress line on stderr at most every 2 s.',
        'Ctrl-C stops waiting, not the rebuild.',
        '',
        'Exit code: 0 switched (or started, with --no-wait), 1 it failed or another rebuild is running,',
        '3 the bridge could not be asked (a started rebuild may go on: see `inventory projections status`).',
        examples(
          'inventory projections rebuild',
          'inventory projections rebuild --from beginning --grace-seconds 120',
          'inventory --json projections rebuild --no-wait',
        ),
      ].join('\n'),
    )
    .action(
      withCli(async (cli, options: RebuildOptions) => {
        const request: RebuildRequest = { from: options.from, ...(options.graceSeconds !== undefined ? { graceSeconds: options.graceSeconds } : {}) };
        let started: RebuildStatus;
        try {
          started = await cli.bridge.rebuild(request);
        } catch (error) {
          if (!(error instanceof CallFailed) || error.code !== 'rebuild_running') throw error;
          // The bridge's message names the running rebuild and the replica running it (any replica may be asked).
          process.stderr.write(`error: another rebuild is running in the bridge group; ${FOLLOW} shows its progress\n  ${error.message}\n`);
          return EXIT.problems;
        }
        const startedLine = `rebuild ${started.id} started: building ${started.generation} from ${started.from} (${started.previous} active)`;
        if (!options.wait) return cli.print(started, () => `${startedLine}; ${FOLLOW} follows it`);

        const showBar = process.stderr.isTTY === true && !cli.options.json;
        if (!showBar) process.stderr.write(`${startedLine}\n`);
        const { generations, rebuild } = await follow(cli, started, showBar);
        if (rebuild.state === 'failed') {
          process.stderr.write(`error: rebuild ${rebuild.id} failed in ${rebuild.phase}: ${rebuild.error ?? 'no reason given'}; ${generations.active} is the active generation\n`);
          cli.print(rebuild, () => rebuildTable(rebuild, Date.now()));
          return EXIT.problems;
        }
        cli.print(rebuild, () => summary(rebuild, generations));
      }),
    );
}
