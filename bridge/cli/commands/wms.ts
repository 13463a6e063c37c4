import type { Command } from 'commander';
import type { Faults, FaultsPatch } from '../../wms/faults';
import { integer, millisRange, rate, sku } from '../args';
import { withCli } from '../context';
import { UsageError } from '../exit';
import { examples } from '../help';
import { table } from '../table';

function faultsTable(faults: Faults): string {
  const outage = faults.outageUntil > Date.now() ? `until ${new Date(faults.outageUntil).toISOString()}` : 'none';
  return table(null, [
    ['latency', `${faults.latencyMs.min === faults.latencyMs.max ? faults.latencyMs.min : `${faults.latencyMs.min}-${faults.latencyMs.max}`} ms`],
    ['timeout rate', String(faults.timeoutRate)],
    ['fault rate', String(faults.faultRate)],
    ['duplicate rate', String(faults.duplicateRate)],
    ['late rate', String(faults.lateRate)],
    ['late by', `${faults.lateMs} ms`],
    ['outage', outage],
    ['operations', faults.operations.join(', ')],
  ]);
}

type FaultOptions = { latencyMs?: Faults['latencyMs']; timeoutRate?: number; faultRate?: number; duplicateRate?: number; lateRate?: number; lateMs?: number };

export function registerWms(program: Command): void {
  const group = program
    .command('wms')
    .description('the WMS simulator: its faults, outages and stock (its admin API, at the origin of --wms-url)')
    .addHelpText('after', examples('inventory wms faults set --timeout-rate 0.2', 'inventory wms outage 30', 'inventory wms stock SNEAKER-42 100'));

  const faults = group
    .command('faults')
    .description('the faults the simulator injects into SOAP calls now')
    .addHelpText('after', examples('inventory wms faults', 'inventory wms faults set --fault-rate 0.2 --latency-ms 20-80'))
    .action(
      withCli(async (cli) => {
        const current = await cli.wmsAdmin.faults();
        cli.print(current, () => faultsTable(current));
      }),
    );

  faults
    .command('set')
    .description('change some faults; the others keep their values (rates are probabilities per call, 0 to 1)')
    .option('--latency-ms <range>', 'added to every answer: MIN-MAX (uniform) or N', millisRange)
    .option('--timeout-rate <p>', 'calls never answered, nothing applied', rate)
    .option('--fault-rate <p>', 'calls answered with a SOAP fault, nothing applied', rate)
    .option('--duplicate-rate <p>', 'calls applied twice, as a duplicate delivery would be', rate)
    .option('--late-rate <p>', 'calls applied and answered only after --late-ms', rate)
    .option('--late-ms <ms>', 'how late a late call is', integer(0, 600_000))
    .addHelpText('after', examples('inventory wms faults set --fault-rate 0.5', 'inventory wms faults set --latency-ms 0 --timeout-rate 0 --fault-rate 0   # back to normal'))
    .action(
      withCli(async (cli, options: FaultOptions) => {
        const patch: FaultsPatch = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
        if (Object.keys(patch).length === 0) throw new UsageError('nothing to set; give at least one option (see --help)');
        const updated = await cli.wmsAdmin.setFaults(patch);
        cli.print(updated, () => faultsTable(updated));
      }),
    );

  group
    .command('outage')
    .description('make the SOAP endpoint answer HTTP 503 to everything for a while (0 ends an outage)')
    .argument('<seconds>', 'how long', integer(0, 86_400))
    .addHelpText('after', examples('inventory wms outage 30', 'inventory wms outage 0'))
    .action(
      withCli(async (cli, seconds: number) => {
        const result = await cli.wmsAdmin.outage(seconds * 1000);
        cli.print(result, () => (seconds === 0 ? 'no outage' : `outage until ${new Date(result.outageUntil).toISOString()}`));
      }),
    );

  group
    .command('stock')
    .description("units left per SKU at the warehouse; with <sku> <qty>, set one SKU's units")
    .argument('[sku]', 'the SKU to set', sku)
    .argument('[qty]', 'its units left', integer(0, 1_000_000_000))
    .addHelpText('after', examples('inventory wms stock', 'inventory wms stock SNEAKER-42 0   # the warehouse refuses every allocation of it'))
    .action(
      withCli(async (cli, id: string | undefined, qty: number | undefined) => {
        if (id === undefined) {
          const levels = await cli.wmsAdmin.stock();
          const rows = Object.entries(levels.skus).sort(([a], [b]) => a.localeCompare(b));
          return cli.print(levels, () => `${table(['SKU', 'UNITS LEFT'], rows)}\nany other SKU: ${levels.defaultStock}`);
        }
        if (qty === undefined) throw new UsageError('give both <sku> and <qty> to set the stock');
        const set = await cli.wmsAdmin.setStock(id, qty);
        cli.print(set, () => `${set.sku}: ${set.qty} units left`);
      }),
    );
}
