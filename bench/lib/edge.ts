import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertV4MiniflareOptions, Miniflare, type WorkerdStructuredLog } from 'miniflare';

export const BENCH_ADMIN_KEY = 'bench-admin';
/** The bridge's own admin key, never the Worker's (ADR 0003). */
export const BENCH_BRIDGE_ADMIN_KEY = 'bench-bridge-admin';
export const BENCH_STOREFRONT_KEY = 'bench-storefront';

const root = join(import.meta.dirname, '..', '..');

/**
 * Bundles the Worker exactly as `wrangler deploy` would (minified), without deploying it; a
 * profile wants it readable (`minify: false`), at the cost of being a little unlike production.
 */
export function buildWorker({ minify = true }: { minify?: boolean } = {}): string {
  // Inside the project: workerd resolves modules below its root and refuses paths outside it.
  const out = join(root, '.cache', minify ? 'bench-build' : 'bench-build-readable');
  execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', out, `--minify=${minify}`], { cwd: root, stdio: 'ignore' });
  return join(out, 'index.js');
}

export type RunningEdge = { url: string; mf: Miniflare; close(): Promise<void> };

/**
 * The Worker bundle in workerd through Miniflare's API, without wrangler dev's proxy (which
 * costs about 4× in throughput here): the runtime the benchmarks measure. Durable Objects keep
 * SQLite files on local disk, KV likewise.
 */
export type EdgeOptions = {
  scriptPath?: string;
  /** A fixed port and state directory let a caller restart the runtime on the same objects (a crash, a deploy). */
  port?: number;
  stateDir?: string;
  /** The Worker's console output, one line at a time; by default Miniflare prints it (warnings and errors to stderr). */
  handleStructuredLogs?: (log: WorkerdStructuredLog) => void;
  /** Opens V8's inspector on this port (a CPU profile of the Worker and its objects). */
  inspectorPort?: number;
};

export async function startEdge(bindings: Record<string, string> = {}, options: EdgeOptions = {}): Promise<RunningEdge> {
  const { scriptPath = buildWorker(), port = 0 } = options;
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
  const persist = options.stateDir ?? mkdtempSync(join(tmpdir(), 'bench-state-'));
  // Miniflare 5 takes a new options shape; wrangler itself converts the v4 one like this.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port,
      ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
      // Objects and KV on disk under one directory, so a restarted runtime finds them again.
      resourcePersistencePath: persist,
      modules: true,
      scriptPath,
      compatibilityDate: '2026-11-01',
      durableObjects: {
        SKU: { className: 'Sku', useSQLite: true },
        GENERATIONS: { className: 'Generations', useSQLite: true },
        CHECKOUT: { className: 'Checkout', useSQLite: true },
      },
      kvNamespaces: ['PROJECTIONS'],
      handleStructuredLogs: options.handleStructuredLogs,
      bindings: {
        DEFAULT_TTL_SECONDS: '300',
        STOREFRONT_KEYS: BENCH_STOREFRONT_KEY,
        ADMIN_KEYS: BENCH_ADMIN_KEY,
        INTERNAL_SECRET: 'bench-internal-secret',
        ...bindings,
      },
    }),
  );
  const url = (await mf.ready).origin;
  return {
    url,
    mf,
    close: async () => {
      await mf.dispose();
      if (!options.stateDir) rmSync(persist, { recursive: true, force: true });
    },
  };
}

export async function edgeCall(url: string, method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

/**
 * The ceiling: a Worker whose every request is one RPC to a Durable Object that does nothing;
 * on `/alone` it answers without the object (the runtime's own cost of one request).
 */
const NOOP_WORKER = `
import { DurableObject } from 'cloudflare:workers';
export class Noop extends DurableObject { ping() { return 1; } }
export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === '/alone') return Response.json({ pong: 0 });
    return Response.json({ pong: await env.NOOP.getByName('hot').ping() });
  },
};
`;

export async function startNoopEdge(): Promise<RunningEdge> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      modules: true,
      script: NOOP_WORKER,
      compatibilityDate: '2026-11-01',
      durableObjects: { NOOP: { className: 'Noop', useSQLite: true } },
    }),
  );
  const url = (await mf.ready).origin;
  return { url, mf, close: () => mf.dispose() };
}
