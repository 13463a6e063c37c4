import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import {
  CHECKOUT_INGEST_PATH,
  CheckoutRelayBatchSchema,
  INGEST_PATH,
  RelayBatchSchema,
  type CheckoutRelayBatch,
  type RelayBatch,
} from '../../src/contract/relayBatch';
import { ackParts, NONCE_HEADER, SIGNATURE_HEADER, signatureHeaders, TIMESTAMP_HEADER, verifySignature } from '../../src/contract/signature';
import { LogOverloadedError, RecordTooLargeError } from '../eventLog/errors';
import { CHECKOUTS_TOPIC, EVENTS_TOPIC } from '../eventLog/topics';
import type { EventLog, LogRecord } from '../eventLog/port';
import { ReplayGuard } from '../ingest/replayGuard';
import { toCheckoutRecords, toRecords } from '../ingest/toRecords';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { healthRoute, instrument, type BridgeEnv, type ComponentState } from './common';
import { bridgeErrorResponse, type BridgeError } from './errors';

export type { ComponentState } from './common';

export type BridgeAppDeps = {
  log: EventLog;
  /** The background components (sagas, snapshotter) and whether they run yet. */
  components?: () => Record<string, ComponentState>;
  secrets: readonly string[];
  /** Signatures remembered against replays before pushes are refused as overload (tests make it small). */
  maxReplayEntries?: number;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
};

/** 500 events of a few hundred bytes each, with room to spare. */
const MAX_INGEST_BYTES = 4 * 1024 * 1024;

/**
 * The public listener's app: the objects' signed pushes and `/healthz`, nothing else; the
 * operators' routes are on the admin listener (`adminApp.ts`, ADR 0003).
 */
export function createBridgeApp({ log, components = () => ({}), secrets, maxReplayEntries, metrics, logger, now = Date.now }: BridgeAppDeps) {
  const app = new Hono<BridgeEnv>();
  const replays = new ReplayGuard(maxReplayEntries);

  instrument(app, metrics, logger);
  healthRoute(app, log, components);

  /**
   * A push checked and turned into records, or the answer refusing it. A function of its own
   * because a suspended async function keeps every local it has: had the handler read the body
   * and parsed the batch itself, every push in flight would hold both until the log acknowledged
   * it, long enough for V8 to promote them to the old generation, which then grew with the push
   * rate. Only the records and what the answer needs wait for the log.
   */
  const admit = async <B extends RelayedBatch>(c: Context<BridgeEnv>, stream: IngestStream<B>): Promise<Admitted | Response> => {
    // The raw request's body: HonoRequest's own `text()` would cache it for the request's life.
    const raw = await c.req.raw.text();
    const url = new URL(c.req.url);
    const check = await verifySignature(
      secrets,
      { timestamp: c.req.header(TIMESTAMP_HEADER), nonce: c.req.header(NONCE_HEADER), signature: c.req.header(SIGNATURE_HEADER) },
      { method: c.req.method, path: url.pathname + url.search, body: raw },
      now(),
    );
    const verdict = check.ok ? replays.accept(check.id, check.expiresAt, now()) : null;
    if (verdict === 'full') {
      // Invariant overload-is-an-answer: more signed pushes than the replay guard may remember; the object retries later.
      metrics.rejected.inc({ reason: 'overloaded' });
      return bridgeErrorResponse(c, { code: 'overloaded', message: 'too many pushes in the signature window; retry later', retryAfterSeconds: replays.retryAfterSeconds(now()) });
    }
    const reason = !check.ok ? check.reason : verdict === 'replayed' ? 'replayed' : null;
    if (reason) {
      metrics.rejected.inc({ reason });
      c.get('logger').warn({ reason }, 'ingest refused: signature');
      return bridgeErrorResponse(c, { code: 'invalid_signature', reason });
    }
    const batch = parseBatch(raw, stream.schema);
    if (!batch.ok) {
      metrics.rejected.inc({ reason: 'invalid_batch' });
      return bridgeErrorResponse(c, { code: 'invalid_request', message: batch.message, issues: batch.issues });
    }
    const { events } = batch.value;
    return { key: stream.key(batch.value), acked: events[events.length - 1]!.version, records: stream.records(batch.value), observe: stream.observer(batch.value) };
  };

  const ingest = <B extends RelayedBatch>(stream: IngestStream<B>) =>
    app.post(
      stream.path,
      bodyLimit({
        maxSize: MAX_INGEST_BYTES,
        onError: (c) => bridgeErrorResponse(c, { code: 'invalid_request', message: `body exceeds ${MAX_INGEST_BYTES} bytes` }),
      }),
      async (c) => {
        const admitted = await admit(c, stream);
        if (admitted instanceof Response) return admitted;
        const { key, acked, records, observe } = admitted;
        try {
          await log.append(stream.topic, records);
        } catch (error) {
          metrics.batches.inc({ outcome: 'failed' });
          metrics.logErrors.inc({ operation: 'append' });
          c.get('logger').error({ err: error, stream: key }, 'append to the event log failed');
          return bridgeErrorResponse(c, appendError(error));
        }
        metrics.batches.inc({ outcome: 'appended' });
        observe(metrics, now());
        // The acknowledgement is signed, bound to this push's nonce: the object trusts no other.
        const answer = JSON.stringify({ [stream.keyField]: key, acked });
        const url = new URL(c.req.url);
        const signed = await signatureHeaders(secrets[0]!, ackParts(url.pathname + url.search, c.req.header(NONCE_HEADER) ?? '', answer), now());
        return c.body(answer, 200, { ...signed, 'content-type': 'application/json' });
      },
    );
  ingest(SKU_STREAM);
  ingest(CHECKOUT_STREAM);

  return app;
}

/** What a refused append tells the pushing object: retry later, or (too large) never fits. */
function appendError(error: unknown): BridgeError {
  if (error instanceof LogOverloadedError) return { code: 'overloaded', message: error.message, retryAfterSeconds: error.retryAfterSeconds };
  if (error instanceof RecordTooLargeError) return { code: 'record_too_large', message: error.message };
  return { code: 'log_unavailable', message: 'the event log did not acknowledge the batch; retry later' };
}

type Parsed<B> = { ok: true; value: B } | { ok: false; message: string; issues?: unknown };

function parseBatch<B>(raw: string, schema: z.ZodType<B>): Parsed<B> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, message: 'body is not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, message: 'not a relay batch', issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
}

type RelayedBatch = { events: readonly { version: number }[] };

/** A stream objects push to the bridge: where, in what shape, to which topic, under which key. */
type IngestStream<B extends RelayedBatch> = {
  path: string;
  schema: z.ZodType<B>;
  topic: string;
  keyField: string;
  key: (batch: B) => string;
  records: (batch: B) => LogRecord[];
  /** Taken from the batch before the append; records the metrics once the log has acknowledged it. */
  observer: (batch: B) => Observe;
};

type Observe = (metrics: Metrics, now: number) => void;
/** What a push holds while the log acknowledges it. */
type Admitted = { key: string; acked: number; records: LogRecord[]; observe: Observe };

const SKU_STREAM: IngestStream<RelayBatch> = {
  path: INGEST_PATH,
  schema: RelayBatchSchema,
  topic: EVENTS_TOPIC,
  keyField: 'sku',
  key: (batch) => batch.sku,
  records: toRecords,
  observer: relayedObserver,
};

const CHECKOUT_STREAM: IngestStream<CheckoutRelayBatch> = {
  path: CHECKOUT_INGEST_PATH,
  schema: CheckoutRelayBatchSchema,
  topic: CHECKOUTS_TOPIC,
  keyField: 'checkoutId',
  key: (batch) => batch.checkoutId,
  records: toCheckoutRecords,
  observer: ({ events }) => {
    const count = events.length;
    return (metrics) => metrics.checkoutEventsRelayed.inc(count);
  },
};

/** Keeps only the events' commit times: the lags are measured at the acknowledgement. */
function relayedObserver({ sku, events }: RelayBatch): Observe {
  const committedAt = events.map((event) => Date.parse(event.at));
  return (metrics, now) => {
    metrics.eventsRelayed.inc(committedAt.length);
    for (const at of committedAt) metrics.commitToLog.observe((now - at) / 1000);
    metrics.relayLag.observe(sku, (now - committedAt[committedAt.length - 1]!) / 1000, now);
    metrics.activity.pushed(sku, (now - committedAt[0]!) / 1000, now);
  };
}
