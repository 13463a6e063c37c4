import type { Command } from 'commander';
import { collect, sku } from '../args';
import { withCli } from '../context';
import { EXIT } from '../exit';
import { examples } from '../help';
import { progress } from '../progress';
import { compareAllocations, type Difference, type DifferenceKind } from '../reconcile/compare';
import { gather } from '../reconcile/gather';
import type { Reported } from '../reconcile/inFlight';
import { repair, type Repair } from '../reconcile/repair';
import { settle, type Reconciled } from '../reconcile/settle';
import { table } from '../table';

const KINDS: DifferenceKind[] = ['wms_only', 'edge_only', 'mismatch'];

const edgeCell = ({ edge }: Reported) => (edge ? `${edge.status}/${edge.allocation} x${edge.qty} ${edge.allocationId ?? ''}`.trim() : 'unknown');
const wmsCell = ({ wms }: Reported) => (wms ? `${wms.status} x${wms.qty} ${wms.allocationId ?? ''}`.trim() : 'unknown');
const sagaCell = ({ saga }: Reported) => (saga ? `${saga.phase}${saga.releasedAs ? ` (released ${saga.releasedAs})` : ''}` : 'none');
const isSettled = (d: Reported): d is Reported & Difference => d.kind !== 'in_flight';

function report(reconciled: Reconciled, repaired: Repair[]): string {
  const { skus, compared, unitsAllocated, differences, sagasAsked } = reconciled;
  const settled = differences.filter(isSettled);
  const byKind = KINDS.map((kind) => `${kind} ${settled.filter((d) => d.kind === kind).length}`).join(', ');
  const lines = [
    `SKUs checked: ${skus.length}; reservations compared: ${compared}`,
    `units allocated: edge ${unitsAllocated.edge}, wms ${unitsAllocated.wms}`,
    `differences: ${settled.length} (${byKind})`,
    sagasAsked
      ? `in flight: ${differences.length - settled.length} (a saga is still at work: not repaired, not counted)`
      : 'in flight: unknown (the bridge runs no saga: every difference counted as settled)',
    ...(repaired.length > 0 ? [`repaired: ${repaired.filter((r) => r.ok).length} of ${repaired.length}`] : []),
  ];
  if (differences.length > 0) {
    // The WMS reference differs from the reservation id once the reservation was re-sourced (ADR 0015).
    const rows = differences.map((d) => [d.kind, d.sku, d.reservationId, d.reference === d.reservationId ? '' : d.reference, edgeCell(d), wmsCell(d), sagaCell(d)]);
    lines.push('', table(['KIND', 'SKU', 'RESERVATION', 'WMS REF', 'EDGE', 'WMS', 'SAGA'], rows));
  }
  if (repaired.length > 0) {
    const rows = repaired.map((r) => [r.reservationId, r.steps.join(' + '), r.ok ? 'repaired' : r.error]);
    lines.push('', table(['RESERVATION', 'REPAIR', 'RESULT'], rows));
  }
  return lines.join('\n');
}

export function registerReconcile(program: Command): void {
  program
    .command('reconcile')
    .description("compare the units the SKU objects consider allocated with the WMS's allocations; --repair fixes the differences")
    .option('--sku <sku...>', 'only these SKUs (default: every SKU the WMS or the bridge knows)', collect(sku))
    .option('--repair', 'settled differences only: wms_only: cancel at the WMS; edge_only: admin release at the edge; mismatch: both')
    .addHelpText(
      'after',
      [
        '',
        'Differences, per reservation:',
        '  wms_only   the WMS holds it, the edge released it or never had it',
        '  edge_only  the edge counts it allocated (held or sold), the WMS does not hold it',
        '  mismatch   both hold it, with another allocation id, quantity or SKU',
        '  in_flight  one of the above while its saga is still at work (a command left to send, or the',
        '             saga and the edge disagree on a release): it closes by itself; not repaired',
        'An edge-only repair of a completed purchase flags it refundDue.',
        '',
        'Exit code: 0 no settled difference (or all repaired), 1 settled differences left, 3 a component could not be asked.',
        examples('inventory reconcile', 'inventory reconcile --sku SNEAKER-42 --repair', 'inventory --json reconcile > reconcile.json'),
      ].join('\n'),
    )
    .action(
      withCli(async (cli, options: { sku?: string[]; repair?: boolean }) => {
        const showBar = process.stderr.isTTY === true && !cli.options.json;
        const sides = await gather(cli, options.sku ?? [], (total) => progress('reconcile', total, showBar));
        const reconciled = await settle(cli, sides, compareAllocations(sides.edge, sides.wms));
        const settled = reconciled.differences.filter(isSettled);
        const repaired: Repair[] = [];
        if (options.repair) {
          const deps = { wms: await cli.wms(), edge: cli.edge, timeoutMs: cli.options.timeoutMs };
          for (const difference of settled) repaired.push(await repair(difference, deps));
        }
        for (const r of repaired.filter((r) => !r.ok)) process.stderr.write(`error: repair of ${r.reservationId} (${r.sku}): ${r.error}\n`);
        cli.print({ ...reconciled, repaired }, () => report(reconciled, repaired));
        const left = settled.length - repaired.filter((r) => r.ok).length;
        return left === 0 ? EXIT.ok : EXIT.problems;
      }),
    );
}
