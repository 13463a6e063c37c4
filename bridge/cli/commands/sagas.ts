import { Option, type Command } from 'commander';
import { SAGA_PHASES, type AllocationSaga, type SagaPhase } from '../../../src/domain/allocation';
import { integer, sku } from '../args';
import { withCli } from '../context';
import { examples } from '../help';
import { table } from '../table';

const time = (epochMs: number | null) => (epochMs === null ? null : new Date(epochMs).toISOString());

function sagaDetail(saga: AllocationSaga): string {
  const fields = table(null, [
    ['reservation', saga.reservationId],
    ['sku', saga.sku],
    ['qty', String(saga.qty)],
    ['phase', saga.stuckIn ? `${saga.phase} (in ${saga.stuckIn})` : saga.phase],
    ['allocation', saga.allocationId],
    ['released as', saga.releasedAs],
    ['wms may hold', String(saga.wmsMayHold)],
    ['completed', String(saga.completed)],
    ['attempts', String(saga.attempts)],
    ['next attempt', time(saga.nextAttemptAt)],
    ['last error', saga.lastError],
    ['reserved', time(saga.startedAt)],
    ['first attempt', time(saga.firstAttemptAt)],
    ['deadline', time(saga.deadline)],
    ['updated', time(saga.updatedAt)],
  ]);
  const notes = saga.notes.map((n) => `  ${time(n.at)}  ${n.note}`);
  return notes.length ? `${fields}\nnotes:\n${notes.join('\n')}` : fields;
}

export function registerSagas(program: Command): void {
  const group = program
    .command('sagas')
    .description("the bridge's WMS allocation sagas, one per reservation")
    .addHelpText(
      'after',
      examples('inventory sagas list --phase stuck', 'inventory sagas list --phase overdue', 'inventory sagas retry res_4k2m9q0c7f1h3j5n8p0r2t4v6x') +
        "\n\nPhases: overdue is a completed purchase the WMS has not answered past the deadline (retried by itself until it does);\nstuck waits for an operator (retry, or release).",
    );

  group
    .command('list')
    .description('sagas, oldest first')
    .addOption(new Option('--phase <phase>', 'only this phase').choices(SAGA_PHASES))
    .option('--sku <sku>', 'only this SKU', sku)
    .option('--limit <n>', 'at most this many', integer(1, 100_000), 100)
    .addHelpText('after', examples('inventory sagas list --phase overdue', 'inventory sagas list --sku SNEAKER-42 --limit 20', 'inventory --json sagas list'))
    .action(
      withCli(async (cli, options: { phase?: SagaPhase; sku?: string; limit: number }) => {
        const { total, sagas } = await cli.bridge.sagas(options);
        cli.print({ total, sagas }, () => {
          const rows = sagas.map((s) => [s.reservationId, s.sku, s.qty, s.phase, s.attempts, s.allocationId, s.lastError, time(s.updatedAt)]);
          const shown = sagas.length < total ? `\n${sagas.length} of ${total} shown (--limit)` : '';
          return total === 0
            ? 'no sagas'
            : table(['RESERVATION', 'SKU', 'QTY', 'PHASE', 'ATTEMPTS', 'ALLOCATION', 'LAST ERROR', 'UPDATED'], rows) + shown;
        });
      }),
    );

  group
    .command('show')
    .description("one reservation's saga, with its notes")
    .argument('<reservationId>')
    .addHelpText('after', examples('inventory sagas show res_4k2m9q0c7f1h3j5n8p0r2t4v6x'))
    .action(
      withCli(async (cli, reservationId: string) => {
        const saga = await cli.bridge.saga(reservationId);
        cli.print(saga, () => sagaDetail(saga));
      }),
    );

  group
    .command('retry')
    .description('run the saga\'s next command now (a stuck saga resumes where it stopped)')
    .argument('<reservationId>')
    .addHelpText('after', examples('inventory sagas retry res_4k2m9q0c7f1h3j5n8p0r2t4v6x'))
    .action(
      withCli(async (cli, reservationId: string) => {
        const saga = await cli.bridge.retry(reservationId);
        cli.print(saga, () => `retrying\n${sagaDetail(saga)}`);
      }),
    );

  group
    .command('release')
    .description("an operator's decision: release the reservation at the edge (admin); a completed purchase is flagged refundDue, and the saga cancels it at the WMS")
    .argument('<reservationId>')
    .addHelpText('after', examples('inventory sagas release res_4k2m9q0c7f1h3j5n8p0r2t4v6x'))
    .action(
      withCli(async (cli, reservationId: string) => {
        // The saga names the SKU; the edge's admin release is the one way a sale is undone deliberately.
        const { sku } = await cli.bridge.saga(reservationId);
        const reservation = await cli.edge.release(sku, reservationId);
        cli.print(reservation, () => `released ${reservationId} (${sku}) as ${reservation.releaseReason ?? '?'}${reservation.refundDue ? ', refund due' : ''}; the saga cancels it at the WMS`);
      }),
    );
}
