import { createWriteStream } from 'node:fs';
import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, edgeCall, startEdge } from '../bench/lib/edge';
import { printTable, type Row } from '../bench/lib/report';
import { appendedBetween, eventsAppended, fuzz, type FuzzReport, type Tally } from './fuzz';

/**
 * The fuzz on its own, against the Worker bundle in workerd (Miniflare):
 *   npx node --import tsx torture/fuzz.main.ts
 * TORTURE_SEED replays a run (a random seed is printed otherwise), TORTURE_REQUESTS (10,000) and
 * TORTURE_CONCURRENCY (16) size it; TORTURE_FUZZ_LOG=<file> writes every request and answer as
 * JSON lines. Exits 1 on any 5xx, unanswered request or appended event.
 */

const INTERNAL_SECRET = 'bench-internal-secret';
/** Case twins and the longest allowed id on purpose: SKUs are case-sensitive, up to 64 characters. */
const SKUS = ['FUZZ-A', 'fuzz-a', 'FUZZ.B_1', 'Z', `L${'0123456789'.repeat(6)}abc`];

const seed = process.env.TORTURE_SEED ? Number(process.env.TORTURE_SEED) >>> 0 : Math.floor(Math.random() * 2 ** 32);
const requests = Number(process.env.TORTURE_REQUESTS ?? 10_000);
const concurrency = Number(process.env.TORTURE_CONCURRENCY ?? 16);
const log = process.env.TORTURE_FUZZ_LOG ? createWriteStream(process.env.TORTURE_FUZZ_LOG) : null;

console.log(`fuzz: seed ${seed} (TORTURE_SEED=${seed} replays it), ${requests.toLocaleString('en-US')} requests, concurrency ${concurrency}`);
const edge = await startEdge();
let failed: boolean;
try {
  await createSkus(edge.url);
  const before = await eventsAppended(SKUS, { url: edge.url, adminKey: BENCH_ADMIN_KEY });
  const report = await fuzz({
    url: edge.url,
    seed,
    requests,
    concurrency,
    adminKey: BENCH_ADMIN_KEY,
    storefrontKey: BENCH_STOREFRONT_KEY,
    internalSecret: INTERNAL_SECRET,
    skus: SKUS,
    ...(log ? { onAnswer: (answer) => log.write(`${JSON.stringify(answer)}\n`) } : {}),
  });
  const after = await eventsAppended(SKUS, { url: edge.url, adminKey: BENCH_ADMIN_KEY });
  const appended = appendedBetween(before, after);
  printReport(report, before, after);
  failed = report.serverErrorCount > 0 || report.networkErrors > 0 || appended.length > 0;
  console.log(failed ? '\nFAIL' : '\nok: no 5xx, every request answered, no event appended');
} finally {
  log?.end();
  await edge.close();
}
process.exit(failed ? 1 : 0);

async function createSkus(url: string): Promise<void> {
  for (const [i, sku] of SKUS.entries()) {
    const body = i % 2 === 0 ? { onHand: 100, limitPerCustomer: 2 } : { onHand: 50 };
    const res = await edgeCall(url, 'PUT', `/v1/admin/skus/${sku}/stock`, BENCH_ADMIN_KEY, body);
    if (res.status !== 200) throw new Error(`creating ${sku}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
  }
}

function printReport(report: FuzzReport, before: Record<string, number>, after: Record<string, number>): void {
  const tallyRows = (key: string, table: Record<string, Tally>): Row[] =>
    Object.entries(table)
      .sort(([, a], [, b]) => b.sent - a.sent)
      .map(([name, t]) => ({ [key]: name, sent: t.sent, '2xx': t.ok, '4xx': t.refused, '5xx': t.failed, 'no answer': t.errors }));
  printTable('Answers by status', Object.entries(report.byStatus).map(([status, count]) => ({ status, count, share: `${((100 * count) / report.total).toFixed(1)}%` })));
  printTable('By route', tallyRows('route', report.byRoute));
  printTable('By defect (a request may carry several)', tallyRows('defect', report.byDefect));
  printTable('Events per SKU', Object.keys(before).map((sku) => ({ sku, before: before[sku]!, after: after[sku]! })));
  for (const e of report.serverErrors) console.log(`\n5xx ${e.status} ${e.method} ${e.path}\n  defects: ${e.defects.join(' ')}\n  body: ${e.body}\n  response: ${e.response}`);
  for (const e of report.networkErrorSamples) console.log(`\nno answer: ${e.method} ${e.path}\n  defects: ${e.defects.join(' ')}\n  error: ${e.error}`);
  printTable('Summary', [
    {
      seed: String(report.seed),
      sent: report.total,
      seconds: report.seconds,
      'req/s': report.total / report.seconds,
      '2xx': report.accepted,
      '5xx': report.serverErrorCount,
      'no answer': report.networkErrors,
      'stale-socket retries': report.staleSocketRetries,
      'events appended': appendedBetween(before, after).reduce((sum, a) => sum + (a.after - a.before), 0),
    },
  ]);
}
