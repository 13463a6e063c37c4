import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { WmsError } from '../wms/client';
import { registerArchive } from './commands/archive';
import { registerAudit } from './commands/audit';
import { registerDlq } from './commands/dlq';
import { registerGroup } from './commands/group';
import { registerProjections } from './commands/projections';
import { registerReconcile } from './commands/reconcile';
import { registerSagas } from './commands/sagas';
import { registerSku } from './commands/sku';
import { registerStatus } from './commands/status';
import { registerWarehouses } from './commands/warehouses';
import { registerStock } from './commands/stock';
import { registerWms } from './commands/wms';
import { addGlobalOptions } from './context';
import { EXIT, UsageError } from './exit';
import { examples } from './help';
import { hintFor } from './hints';

/** The project's version, from the nearest package.json of this project up from the sources or the build. */
function ownVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'flash-sale-inventory' && pkg.version) return pkg.version;
    } catch {
      // No package.json here: look further up.
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
const version = ownVersion();

/** `inventory`: the operators' CLI over the edge's, the bridge's and the WMS simulator's admin APIs. */
const program = addGlobalOptions(
  new Command('inventory')
    .description('Admin CLI of the flash-sale inventory: health, SKU logs and stock per location, WMS sagas, bridge replicas, warehouse feeds, dead letters, reconciliation, WMS simulator faults, read-model rebuilds')
    // Thrown rather than exited, so usage errors get exit code 2, not commander's 1 (which here means "problems found").
    .version(version, '-V, --version', 'the version of this CLI')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)'),
).addHelpText(
  'after',
  '\nExit codes: 0 ok, 1 the check found problems, 2 usage error, 3 a component unreachable or a call failed.\n' +
    examples('inventory status', 'inventory --json reconcile --repair', 'EDGE_ADMIN_KEY=… EDGE_URL=https://… inventory sku events SNEAKER-42'),
);

registerStatus(program);
registerSku(program);
registerStock(program);
registerSagas(program);
registerGroup(program);
registerDlq(program);
registerReconcile(program);
registerWarehouses(program);
registerWms(program);
registerProjections(program);
registerArchive(program);
registerAudit(program);

try {
  await program.parseAsync();
} catch (error) {
  process.exitCode = exitCodeOf(error);
}

function exitCodeOf(error: unknown): number {
  // Commander has printed its message (or the help) already.
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  // Messages only, never stacks: those would print the installation's paths.
  const message =
    error instanceof WmsError
      ? `WMS ${error.kind}: ${error.message.replace(/\s+/g, ' ')}`
      : error instanceof Error
        ? error.message
        : String(error);
  const hint = hintFor(message);
  process.stderr.write(`error: ${message}\n${hint ? `${hint}\n` : ''}`);
  return EXIT.failed;
}
