import type { Command } from 'commander';
import type { SapFaults } from '../../sap/simulator/faultKnobs';
import type { Faults } from '../../wms/faults';
import type { StockLevel } from '../../wms/movements';
import { integer, location, millisRange, rate, sku, warehouseId } from '../args';
import { withCli, type Cli } from '../context';
import { UsageError } from '../exit';
import { examples } from '../help';
import { simulatorAdmin, type SimulatorAdmin } from '../simulatorAdmin';
import { table } from '../table';

/** SAP's own faults, besides the ones both simulators have. */
const SAP_ONLY = ['throttleRate', 'retryAfterSeconds', 'lostRate'] as const;

function faultsTable(faults: Faults | SapFaults): string {
  const outage = faults.outageUntil > Date.now() ? `until ${new Date(faults.outageUntil).toISOString()}` : 'none';
  const sap = 'throttleRate' in faults ? [['throttle rate', String(faults.throttleRate)], ['retry after', `${faults.retryAfterSeconds} s`], ['lost rate', String(faults.lostRate)]] : [];
  return table(null, [
    ['latency', `${faults.latencyMs.min === faults.latencyMs.max ? faults.latencyMs.min : `${faults.latencyMs.min}-${faults.latencyMs.max}`} ms`],
    ['timeout rate', String(faults.timeoutRate)],
    ['fault rate', String(faults.faultRate)],
    ['duplicate rate', String(faults.duplicateRate)],
    ['late rate', String(faults.lateRate)],
    ['late by', `${faults.lateMs} ms`],
    ...sap,
    ['outage', outage],
    ['operations', faults.operations.join(', ')],
  ]);
}

const levelsTable = (levels: StockLevel[]) =>
  table(['LOCATION', 'SKU', 'PHYSICAL', 'ALLOCATED', 'SHIPPED'], levels.map((l) => [l.location, l.sku, l.physical, l.allocated, l.shipped]));

type FaultOptions = { latencyMs?: Faults['latencyMs']; timeoutRate?: number; faultRate?: number; duplicateRate?: number; lateRate?: number; lateMs?: number; throttleRate?: number; retryAfterSeconds?: number; lostRate?: number };

/** The simulator `--warehouse` names (default: the SOAP one at --wms-url). */
const adminOf = (cli: Cli): SimulatorAdmin => simulatorAdmin(cli, (cli.options as { warehouse?: string }).warehouse);

export function registerWms(program: Command): void {
  const group = program
    .command('wms')
    .description(
      "a warehouse simulator's faults, outages and stock (its admin API): the SOAP one at the origin of --wms-url, or with --warehouse the simulator behind that warehouse of WAREHOUSES (soap: the WMS simulator, odata: the SAP simulator)",
    )
    .option('--warehouse <id>', 'the warehouse (of WAREHOUSES, as the bridge has it) whose simulator to talk to; default soap-1 at --wms-url', warehouseId)
    .addHelpText(
      'after',
      examples('inventory wms faults set --timeout-rate 0.2', 'inventory wms outage 30', 'inventory wms stock SNEAKER-42 100', 'inventory wms --warehouse sap-1 faults set --throttle-rate 0.2', 'inventory wms --warehouse sap-1 stock SNEAKER-42 40 --location FRA-1'),
    );

  const faults = group
    .command('faults')
    .description('the faults the simulator injects into SOAP calls now')
    .addHelpText('after', examples('inventory wms faults', 'inventory wms faults set --fault-rate 0.2 --latency-ms 20-80'))
    .action(
      withCli(async (cli) => {
        const current = await adminOf(cli).api.faults();
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
    .option('--throttle-rate <p>', 'SAP only: calls answered HTTP 429 with Retry-After, nothing applied', rate)
    .option('--retry-after-s <s>', "SAP only: the throttled answers' Retry-After", integer(0, 3_600))
    .option('--lost-rate <p>', 'SAP only: calls applied, then the connection dropped without an answer', rate)
    .addHelpText('after', examples('inventory wms faults set --fault-rate 0.5', 'inventory wms faults set --latency-ms 0 --timeout-rate 0 --fault-rate 0   # back to normal'))
    .action(
      withCli(async (cli, { retryAfterS, ...options }: FaultOptions & { retryAfterS?: number }) => {
        const patch = Object.fromEntries(Object.entries({ ...options, retryAfterSeconds: retryAfterS }).filter(([, value]) => value !== undefined));
        if (Object.keys(patch).length === 0) throw new UsageError('nothing to set; give at least one option (see --help)');
        const admin = adminOf(cli);
        const sapOnly = SAP_ONLY.filter((knob) => knob in patch);
        if (admin.kind === 'soap' && sapOnly.length > 0) throw new UsageError(`${sapOnly.join(', ')}: SAP simulator faults; ${admin.id} is a soap warehouse`);
        const updated = admin.kind === 'soap' ? await admin.api.setFaults(patch) : await admin.api.setFaults(patch);
        cli.print(updated, () => faultsTable(updated));
      }),
    );

  group
    .command('outage')
    .description('make the warehouse (the SOAP endpoint, or the OData services) answer HTTP 503 to everything for a while (0 ends an outage)')
    .argument('<seconds>', 'how long', integer(0, 86_400))
    .addHelpText('after', examples('inventory wms outage 30', 'inventory wms outage 0'))
    .action(
      withCli(async (cli, seconds: number) => {
        const result = await adminOf(cli).api.outage(seconds * 1000);
        cli.print(result, () => (seconds === 0 ? 'no outage' : `outage until ${new Date(result.outageUntil).toISOString()}`));
      }),
    );

  group
    .command('stock')
    .description("units left per SKU at the warehouse (SAP: per location, physical, allocated and shipped); with <sku> <qty>, set one SKU's units (SAP: its physical units at --location)")
    .argument('[sku]', 'the SKU to set', sku)
    .argument('[qty]', 'its units left', integer(0, 1_000_000_000))
    .option('--location <id>', 'SAP only: the location (a plant and storage location) to set the units at', location)
    .addHelpText('after', examples('inventory wms stock', 'inventory wms stock SNEAKER-42 0   # the warehouse refuses every allocation of it', 'inventory wms --warehouse sap-1 stock SNEAKER-42 40 --location FRA-1'))
    .action(
      withCli(async (cli, id: string | undefined, qty: number | undefined, options: { location?: string }) => {
        if (id !== undefined && qty === undefined) throw new UsageError('give both <sku> and <qty> to set the stock');
        const admin = adminOf(cli);
        if (admin.kind === 'odata') {
          if (id === undefined) {
            const levels = await admin.api.stock();
            return cli.print(levels, () => levelsTable(levels));
          }
          if (options.location === undefined) throw new UsageError(`${admin.id} keeps stock per location: give --location`);
          const level = await admin.api.setPhysical(options.location, id, qty!);
          return cli.print(level, () => `${level.sku} at ${level.location}: ${level.physical} physical, ${level.allocated} allocated`);
        }
        if (options.location !== undefined) throw new UsageError(`--location: ${admin.id} is a soap warehouse, whose stock is set per SKU`);
        if (id === undefined) {
          const levels = await admin.api.stock();
          const rows = Object.entries(levels.skus).sort(([a], [b]) => a.localeCompare(b));
          return cli.print(levels, () => `${table(['SKU', 'UNITS LEFT'], rows)}\nany other SKU: ${levels.defaultStock}`);
        }
        const set = await admin.api.setStock(id, qty!);
        cli.print(set, () => `${set.sku}: ${set.qty} units left`);
      }),
    );
}
