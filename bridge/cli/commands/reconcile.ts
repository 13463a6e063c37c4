import type { Command } from 'commander';
import { collect, sku, warehouseId } from '../args';
import { withCli } from '../context';
import { EXIT } from '../exit';
import { examples } from '../help';
import { progress } from '../progress';
import { compareAllocations, type Difference, type DifferenceKind } from '../reconcile/compare';
import { allocationsAcross } from '../reconcile/allocations';
import { gather } from '../reconcile/gather';
import type { Reported } from '../reconcile/inFlight';
import { levelsLeft, levelsReport, reconcileLevels } from '../reconcile/levelsRun';
import { repair, type Repair } from '../reconcile/repair';
import { settle, type Reconciled } from '../reconcile/settle';
import { table } from '../table';
import { warehouses } from '../reconcile/warehouses';

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
    .description(
      "compare the units the SKU objects consider allocated with the WMS's allocations, and each location's stock at the edge with the warehouse's; --repair fixes the differences",
    )
    .option('--sku <sku...>', 'only these SKUs (default: every SKU the WMS or the bridge knows)', collect(sku))
    .option('--warehouse <id...>', 'stock levels at these warehouse systems only (default: every one configured)', collect(warehouseId))
    .option('--repair', 'settled differences only: wms_only: cancel at the WMS; edge_only: admin release at the edge; mismatch: both; a level: an adjustment at the edge')
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
        "Stock levels, per SKU and location a warehouse serves: the edge's onHand against the warehouse's",
        'physical + shipped units (a sale stays counted at the edge after it ships). A difference is repaired',
        "by an adjustment at the edge citing the warehouse's last document there, once per document.",
        '  differs    settled: repaired with --repair',
        "  in_flight  the location's feed and the warehouse's log are at different documents, or the location",
        '             moved while it was read: it closes by itself; not repaired',
        'SKUs that name no location at the edge are not compared by level.',
        '',
        'Exit code: 0 no settled difference (or all repaired), 1 settled differences left, 3 a component could not be asked.',
        examples('inventory reconcile', 'inventory reconcile --sku SNEAKER-42 --repair', 'inventory reconcile --warehouse soap-1', 'inventory --json reconcile > reconcile.json'),
      ].join('\n'),
    )
    .action(
      withCli(async (cli, options: { sku?: string[]; warehouse?: string[]; repair?: boolean }) => {
        const systems = warehouses(cli, options.warehouse);
        // Allocations at every warehouse, whatever --warehouse says: a reservation is held at the one serving its location.
        const book = allocationsAcross(warehouses(cli, undefined));
        const showBar = process.stderr.isTTY === true && !cli.options.json;
        const sides = await gather(cli, book, options.sku ?? [], (total) => progress('reconcile', total, showBar));
        const reconciled = await settle(cli, book, sides, compareAllocations(sides.edge, sides.wms));
        const settled = reconciled.differences.filter(isSettled);
        const repaired: Repair[] = [];
        if (options.repair) {
          const deps = { wms: book, edge: cli.edge, timeoutMs: cli.options.timeoutMs };
          for (const difference of settled) repaired.push(await repair(difference, deps));
        }
        const levels = await reconcileLevels(cli, systems, { given: options.sku ?? [], also: reconciled.skus, repair: options.repair === true });
        for (const r of repaired.filter((r) => !r.ok)) process.stderr.write(`error: repair of ${r.reservationId} (${r.sku}): ${r.error}\n`);
        for (const r of levels.flatMap((l) => l.repaired).filter((r) => !r.ok)) process.stderr.write(`error: adjustment of ${r.sku} at ${r.location}: ${r.error}\n`);
        cli.print({ ...reconciled, repaired, levels }, () => report(reconciled, repaired) + levelsReport(levels));
        const left = settled.length - repaired.filter((r) => r.ok).length + levelsLeft(levels);
        return left === 0 ? EXIT.ok : EXIT.problems;
      }),
    );
}
