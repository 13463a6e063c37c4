import { execFile } from 'node:child_process';

export type CliResult = { code: number; stdout: string; stderr: string };

/**
 * The real `inventory` binary, as an operator runs it: its own Node process, configured by the
 * environment given (the test's own EDGE_URL, BRIDGE_ADMIN_KEY… must not leak in) and its arguments.
 */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !CLI_ENV.has(name)));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['bin/inventory.mjs', ...args], { env: { ...inherited, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      // Killed (the timeout) or never started rather than exited: no exit code to assert on.
      if (error && typeof error.code !== 'number') return reject(new Error(`inventory ${args.join(' ')}: ${error.message}`, { cause: error }));
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

const CLI_ENV = new Set(['EDGE_URL', 'BRIDGE_ADMIN_URL', 'WMS_URL', 'EDGE_ADMIN_KEY', 'BRIDGE_ADMIN_KEY', 'WMS_ADMIN_KEY', 'ADMIN_KEY']);
