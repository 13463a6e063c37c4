import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { freePort } from '../../test/e2e/support/processes';
import { intEnv } from '../lib/params';
import { printTable, writeResult, type Row } from '../lib/report';
import { IsolateHeap, type HeapReading } from './isolateHeap';
import { workerdPid } from './load';
import { sqliteMiB, WorkerdSampler, type WorkerdSample } from './workerdSampler';

/**
 * The control for bench:history's memory: a bare Durable Object that appends rows shaped like one
 * reservation's (an event, a reservation row, an idempotency record, indexed) and keeps nothing in
 * memory. Whatever workerd's memory does here, SQLite and the runtime do, not the project's code.
 */
const COMMANDS = intEnv('BENCH_CONTROL_COMMANDS', 60_000);
const WINDOW = intEnv('BENCH_CONTROL_WINDOW', 10_000);
const CONNECTIONS = 10;

const SCRIPT = `
import { DurableObject } from 'cloudflare:workers';
const pad = 'x'.repeat(200);
export class Rows extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(\`CREATE TABLE IF NOT EXISTS events (version INTEGER PRIMARY KEY, type TEXT, data TEXT);
      CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, customer TEXT, expires INTEGER, status TEXT);
      CREATE INDEX IF NOT EXISTS by_customer ON reservations (customer);
      CREATE INDEX IF NOT EXISTS by_expiry ON reservations (expires) WHERE status = 'held';
      CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, response TEXT, at INTEGER)\`);
  }
  append(i) {
    const id = crypto.randomUUID();
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec('INSERT INTO events (type, data) VALUES (?, ?)', 'StockReserved', JSON.stringify({ id, i, pad }));
      this.ctx.storage.sql.exec('INSERT INTO reservations VALUES (?, ?, ?, ?)', id, 'buyer-' + i, Date.now() + 60000, 'held');
      this.ctx.storage.sql.exec('INSERT INTO idempotency VALUES (?, ?, ?)', 'key-' + i, JSON.stringify({ id, pad }), Date.now());
    });
    return id;
  }
}
export default { async fetch(request, env) { const i = Number(new URL(request.url).searchParams.get('i')); return new Response(await env.ROWS.getByName('hot').append(i)); } };
`;

async function main() {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-sqlite-control-'));
  const inspectorPort = await freePort();
  const mf = new Miniflare(
    convertV4MiniflareOptions({ host: '127.0.0.1', port: 0, inspectorPort, modules: true, script: SCRIPT, compatibilityDate: '2026-11-01', resourcePersistencePath: stateDir, durableObjects: { ROWS: { className: 'Rows', useSQLite: true } } }),
  );
  const url = (await mf.ready).origin;
  const heap = await IsolateHeap.open(inspectorPort);
  const sampler = new WorkerdSampler(workerdPid());
  const windows: ({ commands: number; sqliteMiB: number } & Omit<WorkerdSample, 'cpuMs'> & HeapReading)[] = [];
  try {
    for (let start = 0; start < COMMANDS; start += WINDOW) {
      let next = start;
      const end = Math.min(COMMANDS, start + WINDOW);
      await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
        for (let i = next++; i < end; i = next++) await (await fetch(`${url}/?i=${i}`)).text();
      }));
      const { cpuMs: _cpu, ...memory } = sampler.take();
      const row = { commands: end, ...memory, ...(await heap.read()), sqliteMiB: sqliteMiB(stateDir) };
      windows.push(row);
      console.log(JSON.stringify(row));
    }
  } finally {
    sampler.stop();
    heap.close();
    await mf.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  }
  writeResult('history-sqlite-control', { parameters: { commands: COMMANDS, window: WINDOW, connections: CONNECTIONS }, windows });
  printTable('Bare SQLite object: workerd memory by rows appended', windows.map(({ otherIsolates: _each, ...row }): Row => row));
}

await main();
