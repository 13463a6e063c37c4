import { CaseGenerator, type FuzzCase } from './cases';
import { RawClient, type RawRequest, type SendResult } from './http';
import type { Random } from '../bench/lib/random';
import type { Target } from './routes';
import { signatureHeaders } from './signPlans';
import { assertSignerMatchesProduct } from './signing';

/**
 * Sends malformed and hostile requests to a running edge, deterministically from a seed: bad
 * JSON, wrong shapes, huge and deeply nested bodies, bad headers, keys, paths, queries, carts and
 * signatures (see cases.ts). The contract under test: every one is answered, none with a 5xx,
 * and none changes a SKU (cases that could are always sent with a defect that surely refuses them).
 */

export type FuzzOptions = {
  url: string;
  seed: number;
  /** At least this many requests are sent (a replayed signature counts twice). */
  requests: number;
  concurrency?: number;
  adminKey: string;
  storefrontKey: string;
  internalSecret: string;
  /** SKUs that exist; the fuzz aims at them and must append nothing to them. */
  skus: string[];
  /** Called with every answer (or network error): for a log of the run. */
  onAnswer?: (answer: Answer) => void;
};

export type Answer = { route: string; defects: string[]; method: string; path: string; body: string; status: number | null; response: string };

export type ServerError = {
  route: string;
  defects: string[];
  method: string;
  path: string;
  body: string;
  status: number;
  response: string;
};

export type NetworkError = { route: string; defects: string[]; method: string; path: string; error: string };

/** Answers per route or per defect group: 2xx, 4xx, 5xx, no answer. */
export type Tally = { sent: number; ok: number; refused: number; failed: number; errors: number };

export type FuzzReport = {
  seed: number;
  total: number;
  byStatus: Record<string, number>;
  /** The first 20 5xx answers, with what caused them. */
  serverErrors: ServerError[];
  serverErrorCount: number;
  networkErrors: number;
  networkErrorSamples: NetworkError[];
  /** 2xx answers: requests that happened to be valid (reads, refusals of unknown ids are 4xx). */
  accepted: number;
  byRoute: Record<string, Tally>;
  byDefect: Record<string, Tally>;
  /** Sent again after a kept-alive socket was closed under them: a client race, not an answer. */
  staleSocketRetries: number;
  seconds: number;
};

const MAX_SAMPLES = 20;
const EXCERPT = 300;

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  if (options.skus.length === 0) throw new Error('fuzz needs at least one existing SKU to aim at');
  await assertSignerMatchesProduct(options.internalSecret);
  const concurrency = options.concurrency ?? 16;
  const generator = new CaseGenerator(options.seed, targetOf(options.skus), { admin: options.adminKey, storefront: options.storefrontKey });
  const client = new RawClient(options.url, concurrency);
  const recorder = new Recorder(options.onAnswer);
  const started = Date.now();
  // Cases are drawn in order from one generator, so the sequence depends on the seed only.
  let planned = 0;
  const take = (): FuzzCase | null => {
    if (planned >= options.requests) return null;
    const next = generator.next();
    planned += next.times;
    return next;
  };
  const worker = async () => {
    for (let next = take(); next; next = take()) await runCase(client, next, options.internalSecret, recorder);
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    client.close();
  }
  return recorder.report(options.seed, client.staleSocketRetries, (Date.now() - started) / 1000);
}

async function runCase(client: RawClient, c: FuzzCase, secret: string, recorder: Recorder): Promise<void> {
  const request = c.sign ? signed(c, secret) : c.request;
  // A replay sends the very same bytes again, after the first answer.
  for (let i = 0; i < c.times; i++) recorder.record(c, request, await client.send(request));
}

function signed(c: FuzzCase, secret: string): RawRequest {
  const { method, path, body } = c.request;
  const headers = signatureHeaders(c.sign!, secret, { method, path, body: body?.toString('utf8') ?? '' }, Date.now());
  return { ...c.request, headers: { ...c.request.headers, ...headers } };
}

/** Unknown SKUs that look like the real ones (case twins, suffixes), never one of them. */
function targetOf(skus: readonly string[]): Target {
  const existing = new Set(skus);
  const pattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
  return {
    existing: skus,
    unknownSku(rnd: Random): string {
      const near = rnd.pick(skus);
      const candidate = rnd.pick([`NOPE-${rnd.hex(8)}`, swapCase(near), `${near.slice(0, 60)}-${rnd.int(0, 99)}`]);
      return existing.has(candidate) || !pattern.test(candidate) ? `NOPE-${rnd.hex(8)}` : candidate;
    },
  };
}

const swapCase = (s: string) => [...s].map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join('');

class Recorder {
  readonly #onAnswer: ((answer: Answer) => void) | undefined;
  #total = 0;
  #accepted = 0;
  #byStatus: Record<string, number> = {};
  #serverErrors: ServerError[] = [];
  #serverErrorCount = 0;
  #networkErrors = 0;
  #networkSamples: NetworkError[] = [];
  #byRoute: Record<string, Tally> = {};
  #byDefect: Record<string, Tally> = {};

  constructor(onAnswer?: (answer: Answer) => void) {
    this.#onAnswer = onAnswer;
  }

  record(c: FuzzCase, request: RawRequest, result: SendResult): void {
    this.#total++;
    this.#onAnswer?.({
      ...describe(c, request),
      body: excerpt(request.body),
      status: result.ok ? result.response.status : null,
      response: result.ok ? result.response.body.slice(0, EXCERPT) : result.error,
    });
    const outcome = result.ok ? classify(result.response.status) : 'errors';
    const groups = new Set(c.defects.map((d) => d.split(':')[0]!));
    for (const tally of [slot(this.#byRoute, c.route), ...[...groups].map((g) => slot(this.#byDefect, g))]) {
      tally.sent++;
      tally[outcome]++;
    }
    if (!result.ok) {
      this.#networkErrors++;
      if (this.#networkSamples.length < MAX_SAMPLES) this.#networkSamples.push({ ...describe(c, request), error: result.error });
      return;
    }
    const { status, body } = result.response;
    this.#byStatus[status] = (this.#byStatus[status] ?? 0) + 1;
    if (outcome === 'ok') this.#accepted++;
    if (outcome === 'failed') {
      this.#serverErrorCount++;
      if (this.#serverErrors.length < MAX_SAMPLES) {
        this.#serverErrors.push({ ...describe(c, request), body: excerpt(request.body), status, response: body.slice(0, EXCERPT * 2) });
      }
    }
  }

  report(seed: number, staleSocketRetries: number, seconds: number): FuzzReport {
    return {
      seed,
      total: this.#total,
      byStatus: this.#byStatus,
      serverErrors: this.#serverErrors,
      serverErrorCount: this.#serverErrorCount,
      networkErrors: this.#networkErrors,
      networkErrorSamples: this.#networkSamples,
      accepted: this.#accepted,
      byRoute: this.#byRoute,
      byDefect: this.#byDefect,
      staleSocketRetries,
      seconds,
    };
  }
}

const classify = (status: number): 'ok' | 'refused' | 'failed' => (status >= 500 ? 'failed' : status >= 400 ? 'refused' : 'ok');

function slot(table: Record<string, Tally>, key: string): Tally {
  return (table[key] ??= { sent: 0, ok: 0, refused: 0, failed: 0, errors: 0 });
}

function describe(c: FuzzCase, request: RawRequest) {
  const path = request.path.length > EXCERPT ? `${request.path.slice(0, EXCERPT)}… (${request.path.length} chars)` : request.path;
  return { route: c.route, defects: c.defects, method: request.method, path: JSON.stringify(path).slice(1, -1) };
}

/** The start of a body, escaped so control bytes and invalid UTF-8 stay readable in a report. */
function excerpt(body: Buffer | undefined): string {
  if (!body) return '';
  const text = JSON.stringify(body.subarray(0, EXCERPT).toString('latin1')).slice(1, -1);
  return body.length > EXCERPT ? `${text}… (${body.length} bytes)` : text;
}

/**
 * Each SKU's event count (its log's last version) through the admin events route, so a caller
 * can take counts before and after a fuzz and check that nothing was appended. A SKU without
 * events counts 0.
 */
export async function eventsAppended(skus: readonly string[], edge: { url: string; adminKey: string }): Promise<Record<string, number>> {
  const counts = await Promise.all(skus.map(async (sku) => [sku, await eventCount(sku, edge)] as const));
  return Object.fromEntries(counts);
}

async function eventCount(sku: string, edge: { url: string; adminKey: string }): Promise<number> {
  const res = await fetch(`${edge.url}/v1/admin/skus/${encodeURIComponent(sku)}/events?after=0&limit=1`, {
    headers: { authorization: `Bearer ${edge.adminKey}` },
  });
  const body = (await res.json().catch(() => null)) as { lastVersion?: number; error?: { code?: string } } | null;
  if (res.status === 404 && body?.error?.code === 'sku_not_found') return 0;
  if (res.status !== 200 || typeof body?.lastVersion !== 'number') throw new Error(`events of ${sku}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.lastVersion;
}

/** The SKUs whose count moved between two `eventsAppended` readings. */
export function appendedBetween(before: Record<string, number>, after: Record<string, number>): Array<{ sku: string; before: number; after: number }> {
  return Object.keys(before)
    .filter((sku) => after[sku] !== before[sku])
    .map((sku) => ({ sku, before: before[sku]!, after: after[sku] ?? Number.NaN }));
}
