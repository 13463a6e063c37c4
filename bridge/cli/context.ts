import { Option, type Command } from 'commander';
import { createWmsClient, type WmsClient } from '../wms/client';
import { bridgeApi, type BridgeApi } from './api/bridge';
import { edgeApi, type EdgeApi } from './api/edge';
import { wmsAdminApi, type WmsAdminApi } from './api/wmsAdmin';
import { integer, url } from './args';
import { EXIT, type ExitCode } from './exit';
import { DEV_ADMIN_KEY, refuseDefaultKeyRemotely } from './hints';
import type { Service } from './http';

export type GlobalOptions = {
  edgeUrl: string;
  bridgeUrl: string;
  wmsUrl: string;
  adminKey: string;
  json?: boolean;
  timeoutMs: number;
};

/** Where the components are, each also from the environment so a shell can be pointed at a deployment once. */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option('--edge-url <url>', 'the Worker').env('EDGE_URL').default('http://127.0.0.1:8787').argParser(url))
    .addOption(new Option('--bridge-url <url>', 'the bridge').env('BRIDGE_URL').default('http://127.0.0.1:8788').argParser(url))
    .addOption(
      new Option('--wms-url <url>', 'the WMS SOAP endpoint (its admin API is at the same origin, under /admin)')
        .env('WMS_URL')
        .default('http://127.0.0.1:8789/wms')
        .argParser(url),
    )
    .addOption(
      new Option('--admin-key <key>', 'admin bearer key of the edge, the bridge and the WMS simulator (the dev key by default, for local URLs only)').env('ADMIN_KEY').default(DEV_ADMIN_KEY),
    )
    .option('--json', 'machine output: exactly one JSON document on stdout')
    .addOption(new Option('--timeout-ms <ms>', 'per call').default(5_000).argParser(integer(1, 600_000)));
}

/** What a command works with: the components' APIs, the options, and one way to print its result. */
export type Cli = {
  options: GlobalOptions;
  edge: EdgeApi;
  bridge: BridgeApi;
  wmsAdmin: WmsAdminApi;
  /** The WMS's SOAP interface (what the saga uses), connected when a command needs it. */
  wms: () => Promise<WmsClient>;
  /** The result: `value` as one JSON document with --json, else what `human` renders. */
  print(value: unknown, human: () => string): void;
};

function cliFor(options: GlobalOptions): Cli {
  const service = (name: string, baseUrl: string, adminKey: string | null): Service => ({ name, baseUrl, adminKey, timeoutMs: options.timeoutMs });
  let wms: Promise<WmsClient> | undefined;
  return {
    options,
    edge: edgeApi(service('edge', options.edgeUrl, options.adminKey)),
    bridge: bridgeApi(service('bridge', options.bridgeUrl, options.adminKey)),
    wmsAdmin: wmsAdminApi(service('WMS simulator', options.wmsUrl, options.adminKey)),
    wms: () => (wms ??= createWmsClient(options.wmsUrl)),
    print(value, human) {
      process.stdout.write(`${options.json ? JSON.stringify(value, null, 2) : human()}\n`);
    },
  };
}

/**
 * A command's action: the body gets the resolved options and its own arguments (commander's,
 * the command itself dropped) and returns its verdict, which becomes the exit code. Thrown
 * errors are the caller's (`main.ts`).
 */
export function withCli<A extends unknown[]>(body: (cli: Cli, ...args: A) => Promise<ExitCode | void>) {
  return async (...args: [...A, Command]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const options = command.optsWithGlobals<GlobalOptions>();
    refuseDefaultKeyRemotely(options, command.getOptionValueSourceWithGlobals('adminKey'));
    const verdict = await body(cliFor(options), ...(args.slice(0, -1) as A));
    process.exitCode = verdict ?? EXIT.ok;
  };
}
