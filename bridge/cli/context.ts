import { Option, type Command } from 'commander';
import { createWmsClient, type WmsClient } from '../wms/client';
import { bridgeApi, type BridgeApi } from './api/bridge';
import { edgeApi, type EdgeApi } from './api/edge';
import { wmsAdminApi, type WmsAdminApi } from './api/wmsAdmin';
import { integer, url } from './args';
import { EXIT, type ExitCode } from './exit';
import { DEV_KEYS, DEV_SAP_ADMIN_KEY, refuseDefaultKeysRemotely, warnRetiredAdminKey } from './hints';
import type { Service } from './http';

export type GlobalOptions = {
  edgeUrl: string;
  bridgeAdminUrl: string;
  wmsUrl: string;
  edgeAdminKey: string;
  bridgeAdminKey: string;
  wmsAdminKey: string;
  sapAdminKey: string;
  json?: boolean;
  timeoutMs: number;
};

/**
 * Where the components are, each also from the environment so a shell can be pointed at a
 * deployment once, and one admin key per component: each service is sent its own key only
 * (ADR 0003), so a key leaked by one does not open the others.
 */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option('--edge-url <url>', 'the Worker').env('EDGE_URL').default('http://127.0.0.1:8787').argParser(url))
    .addOption(
      new Option('--bridge-admin-url <url>', "the bridge's admin listener (BRIDGE_ADMIN_HOST:BRIDGE_ADMIN_PORT, not its public ingest port)")
        .env('BRIDGE_ADMIN_URL')
        .default('http://127.0.0.1:8798')
        .argParser(url),
    )
    .addOption(
      new Option('--wms-url <url>', 'the WMS SOAP endpoint (its admin API is at the same origin, under /admin)')
        .env('WMS_URL')
        .default('http://127.0.0.1:8789/wms')
        .argParser(url),
    )
    .addOption(new Option('--edge-admin-key <key>', "the Worker's admin key (its ADMIN_KEYS; the dev key by default, for a local URL only)").env('EDGE_ADMIN_KEY').default(DEV_KEYS.edgeAdminKey))
    .addOption(
      new Option('--bridge-admin-key <key>', "the bridge's admin key (its BRIDGE_ADMIN_KEYS; the dev key by default, for a local URL only)").env('BRIDGE_ADMIN_KEY').default(DEV_KEYS.bridgeAdminKey),
    )
    .addOption(
      new Option('--wms-admin-key <key>', "the WMS simulator's admin key (its WMS_ADMIN_KEYS; the dev key by default, for a local URL only)").env('WMS_ADMIN_KEY').default(DEV_KEYS.wmsAdminKey),
    )
    .addOption(
      new Option('--sap-admin-key <key>', "the SAP simulator's admin key (its SAP_ADMIN_KEYS), for `wms --warehouse` an odata warehouse; the dev key by default, for a local URL only")
        .env('SAP_ADMIN_KEY')
        .default(DEV_SAP_ADMIN_KEY),
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
    edge: edgeApi(service('edge', options.edgeUrl, options.edgeAdminKey)),
    bridge: bridgeApi(service('bridge', options.bridgeAdminUrl, options.bridgeAdminKey)),
    wmsAdmin: wmsAdminApi(service('WMS simulator', options.wmsUrl, options.wmsAdminKey)),
    // SOAP carries no admin key: the real warehouse is never sent one of ours.
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
    warnRetiredAdminKey(process.env);
    refuseDefaultKeysRemotely(options, (key) => command.getOptionValueSourceWithGlobals(key));
    const verdict = await body(cliFor(options), ...(args.slice(0, -1) as A));
    process.exitCode = verdict ?? EXIT.ok;
  };
}
