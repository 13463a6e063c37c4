import { InvalidArgumentError, Option, type Command } from 'commander';
import { ArchiveReadError, DEFAULT_CACHE_DIR } from '../../audit/archiveFiles';
import type { Format } from '../../audit/output';
import type { AuditRequest } from '../../audit/run';
import { parseBound, parseDate, type Window } from '../../audit/window';
import { location, sku } from '../args';
import { CallFailed, EXIT, UsageError } from '../exit';
import { examples } from '../help';
import { progress } from '../progress';

const FORMATS = ['table', 'csv', 'json', 'parquet'] as const satisfies readonly Format[];

type Common = { sku?: string; cache: string; format?: Format; out?: string };
type Windowed = Common & { from?: Date; to?: Date };

const bound = (end: 'from' | 'to') => (value: string): Date => {
  const at = parseBound(value, end);
  if (at === null) throw new InvalidArgumentError('expected an ISO date (2025-03-01) or datetime (2025-03-01T09:30:00Z)');
  return at;
};

const day = (value: string): string => {
  const date = parseDate(value);
  if (date === null) throw new InvalidArgumentError('expected a day, YYYY-MM-DD');
  return date;
};

const text = (what: string) => (value: string): string => {
  if (value.trim() === '') throw new InvalidArgumentError(`expected ${what}`);
  return value;
};

function windowOf({ from, to }: Windowed): Window {
  if (from && to && from.getTime() >= to.getTime()) throw new UsageError('--from must be before --to');
  return { from: from ?? null, to: to ?? null };
}

/** The options every query takes: which SKU, the cache, how to print. */
function withCommon(command: Command): Command {
  return command
    .option('--sku <sku>', 'one SKU (all its shards); default: every SKU', sku)
    .option('--cache <dir>', 'where the downloaded archive files are kept (reused: a file is never downloaded twice)', DEFAULT_CACHE_DIR)
    .addOption(new Option('--format <format>', 'table on a terminal, else json (--json: json)').choices(FORMATS))
    .option('--out <file>', 'write the result to this file (required for parquet; csv and json go to stdout without it)');
}

const windowOptions = (command: Command): Command =>
  command
    .option('--from <when>', 'events at or after this UTC date or datetime', bound('from'))
    .option('--to <when>', 'events before this datetime, or up to the end of this UTC date', bound('to'));

/**
 * A query's action: the archive read into the cache, the query run, the result written. The
 * heavy parts (DuckDB, the S3 client) are loaded here, not when the CLI starts.
 */
function audit<O extends Common>(toRequest: (options: O) => AuditRequest) {
  return async (options: O, command: Command): Promise<void> => {
    const format: Format = options.format ?? (command.optsWithGlobals<{ json?: boolean }>().json || process.stdout.isTTY !== true ? 'json' : 'table');
    if (format === 'parquet' && options.out === undefined) throw new UsageError('--format parquet writes a file: give --out <file>');
    const request = toRequest(options);
    const [{ runAudit }, { objectStoreFromEnv }] = await Promise.all([import('../../audit/run'), import('../../archive/storeConfig')]);
    const store = (() => {
      try {
        return objectStoreFromEnv(process.env);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    })();
    try {
      const showBar = process.stderr.isTTY === true;
      const result = await runAudit(request, {
        store,
        cacheDir: options.cache,
        destination: { format, out: options.out, stdout: process.stdout },
        progress: (total) => progress('downloading archive files', total, showBar),
      });
      if (result.rows === 0) {
        const why = result.files.selected === 0 ? ` (no archive file for those days and SKU in ${store.where})` : '';
        process.stderr.write(`no archived events match${why}\n`);
      } else if (options.out !== undefined) {
        process.stderr.write(`${result.rows} rows written to ${options.out}\n`);
      }
    } catch (error) {
      if (!(error instanceof ArchiveReadError)) throw error;
      throw new CallFailed(
        `${error.message}\nhint: ARCHIVE_S3_ENDPOINT and ARCHIVE_S3_BUCKET name the bucket, ARCHIVE_S3_ACCESS_KEY_ID and ARCHIVE_S3_SECRET_ACCESS_KEY its keys; locally \`npm start\` runs it`,
      );
    } finally {
      store.destroy();
    }
    process.exitCode = EXIT.ok;
  };
}

export function registerAudit(program: Command): void {
  const group = program
    .command('audit')
    .description('query the archive of every SKU event (Parquet in object storage): events, totals per location, the daily stock ledger')
    .addHelpText(
      'after',
      [
        '',
        'The archive files a query needs (by day and SKU) are downloaded into --cache once, then queried',
        'there with DuckDB. The bucket: ARCHIVE_S3_ENDPOINT (default http://127.0.0.1:8794), ARCHIVE_S3_BUCKET',
        '(inventory-archive), ARCHIVE_S3_REGION (auto), ARCHIVE_S3_ACCESS_KEY_ID, ARCHIVE_S3_SECRET_ACCESS_KEY.',
        'Times are UTC. Nothing archived that matches: an empty result, exit 0.',
        '',
        'Exit codes: 0 ok (also an empty result), 2 usage error, 3 the bucket could not be read.',
        examples(
          'inventory audit events --sku SNEAKER-42 --from 2025-03-01 --to 2025-03-01',
          'inventory audit events --customer cust-7 --format csv > cust-7.csv',
          'inventory audit totals --sku SNEAKER-42',
          'inventory audit ledger --date 2025-03-01 --format parquet --out ledger-2025-03-01.parquet',
        ),
      ].join('\n'),
    );

  windowOptions(withCommon(group.command('events')))
    .description("the archived events, oldest first, with every reservation event's customer")
    .option('--customer <id>', "every event of this customer's reservations", text('a customer id'))
    .option('--location <id>', 'events at this location, or that moved its counters', location)
    .option('--document <doc>', 'events citing this warehouse document, or this allocation id or reference', text('a document or allocation'))
    .addHelpText(
      'after',
      [
        '',
        'Columns: occurred_at, sku, stream (SKU~k: shard k), version, type, reservation_id, customer_id, qty,',
        'location, reason, document (the warehouse document of a stock movement), allocation (the warehouse',
        "allocation id or reference). An AllocationConfirmed shows its reservation's qty and location. --to",
        "with a date includes that day. A reservation's customer is read from its StockReserved, looked for",
        'from the day before --from.',
        examples(
          'inventory audit events --sku SNEAKER-42 --from 2025-03-01T09:00:00Z --to 2025-03-01T10:00:00Z',
          'inventory audit events --customer cust-7',
          'inventory audit events --document WMS-000123',
          'inventory audit events --location AMS-1 --from 2025-03-01 --format csv --out ams.csv',
        ),
      ].join('\n'),
    )
    .action(
      audit((o: Windowed & { customer?: string; location?: string; document?: string }) => ({
        kind: 'events',
        filters: { sku: o.sku, window: windowOf(o), customer: o.customer, location: o.location, document: o.document },
      })),
    );

  windowOptions(withCommon(group.command('totals')))
    .description('per SKU and location: what the events did to on hand, reserved, sold and lent, summed over the shards')
    .option('--location <id>', 'this location only', location)
    .addHelpText(
      'after',
      [
        '',
        "Over the whole archive these are the objects' counters per location (summed over a SKU's shards;",
        'lent nets out but for loans on their way). events: the events that moved that location; last_versions:',
        'each stream of the SKU and its last archived version. --from/--to: what the events of that window did.',
        examples('inventory audit totals', 'inventory audit totals --sku SNEAKER-42 --location AMS-1', 'inventory audit totals --to 2025-03-01 --format csv'),
      ].join('\n'),
    )
    .action(audit((o: Windowed & { location?: string }) => ({ kind: 'totals', filters: { sku: o.sku, window: windowOf(o), location: o.location } })));

  withCommon(group.command('ledger'))
    .description('the daily stock ledger per SKU and location, with the warehouse documents of the day')
    .requiredOption('--date <day>', 'the UTC day, YYYY-MM-DD', day)
    .option('--location <id>', 'this location only', location)
    .addHelpText(
      'after',
      [
        '',
        'Columns (units): opening (stock before the day), receipts (StockReceived, warehouse receipts), adjustments',
        '(every other change of stock: set, counts, damages, repairs), reservations (held), releases (given back),',
        'sales (sold), shipments (allocations the warehouse confirmed: it feeds no shipments), closing (opening +',
        'receipts + adjustments), documents (warehouse documents and allocations cited that day). Stock is on hand',
        'plus units on loan between shards, summed over the shards. Reads every archive day up to --date.',
        examples('inventory audit ledger --date 2025-03-01', 'inventory audit ledger --date 2025-03-01 --sku SNEAKER-42 --location AMS-1 --format csv'),
      ].join('\n'),
    )
    .action(audit((o: Common & { date: string; location?: string }) => ({ kind: 'ledger', filters: { date: o.date, sku: o.sku, location: o.location } })));
}
