import type { Command } from 'commander';
import { collect, sku } from '../args';
import { withCli } from '../context';
import { EXIT } from '../exit';
import { examples } from '../help';
import { progress } from '../progress';
import { compareAllocations, type Comparison, type Difference, type DifferenceKind } from '../reconcile/compare';
import { gather } from '../reconcile/gather';
import { repair, type Repair } from '../reconcile/repair';
import { table } from '../table';

const KINDS: DifferenceKind[] = ['wms_only', 'edge_only', 'mismatch'];

const edgeCell = ({ edge }: Difference) => (edge ? `${edge.status}/${edge.allocation} x${edge.qty} ${edge.allocationId ?? ''}`.trim() : 'unknown');
const wmsCell = ({ wms }: Difference) => (wms ? `${wms.status} x${wms.qty} ${wms.allocationId ?? ''}`.trim() : 'unknown');

function report(comparison: Comparison, repaired: Repair[]): string {
  const { skus, compared, unitsAllocated, differences } = comparison;
  const byKind = KINDS.map((kind) => `${kind} ${differences.filter((d) => d.kind === kind).length}`).join(', ');
  const lines = [
    `SKUs checked: ${skus.length}; reservations compared: ${compared}`,
    `units allocated: edge ${unitsAllocated.edge}, wms ${unitsAllocated.wms}`,
    `differences: ${differences.length} (${byKind})`,
    ...(repaired.length > 0 ? [`repaired: ${repaired.filter((r) => r.ok).length} of ${repaired.length}`] : []),
  ];
  if (differences.length > 0) {
    lines.push('', table(['KIND', 'SKU', 'RESERVATION', 'EDGE', 'WMS'], differences.map((d) => [d.kind, d.sku, d.reservationId, edgeCell(d), wmsCell(d)])));
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
    .option('--repair', 'wms_only: cancel at the WMS; edge_only: admin release at the edge; mismatch: both')
    .addHelpText(
      'after',
      [
        '',
        'Differences, per reservation:',
        '  wms_only   the WMS holds it, the edge released it or never had it',
        '  edge_only  the edge counts it allocated (held or sold), the WMS does not hold it',
        '  mismatch   both hold it, with another allocation id, quantity or SKU',
        'An edge-only repair of a completed purchase flags it refundDue.',
        '',
        'Exit code: 0 no differences (or all repaired), 1 differences left, 3 a component could not be asked.',
        examples('inventory reconcile', 'inventory reconcile --sku SNEAKER-42 --repair', 'inventory --json reconcile > reconcile.json'),
      ].join('\n'),
    )
    .action(
      withCli(async (cli, options: { sku?: string[]; repair?: boolean }) => {
        const showBar = process.stderr.isTTY === true && !cli.options.json;
        const sides = await gather(cli, options.sku ?? [], (total) => progress('reconcile', total, showBar));
        const comparison = compareAllocations(sides.edge, sides.wms);
        const repaired: Repair[] = [];
        if (options.repair) {
          const deps = { wms: await cli.wms(), edge: cli.edge, timeoutMs: cli.options.timeoutMs };
          for (const difference of comparison.differences) repaired.push(await repair(difference, deps));
        }
        for (const r of repaired.filter((r) => !r.ok)) process.stderr.write(`error: repair of ${r.reservationId} (${r.sku}): ${r.error}\n`);
        cli.print({ ...comparison, repaired }, () => report(comparison, repaired));
        const left = comparison.differences.length - repaired.filter((r) => r.ok).length;
        return left === 0 ? EXIT.ok : EXIT.problems;
      }),
    );
}
