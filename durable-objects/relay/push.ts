import { parseSecrets, signatureHeaders } from '../../src/contract/signature';
import {
  CHECKOUT_INGEST_PATH,
  CheckoutRelayAckSchema,
  INGEST_PATH,
  RelayAckSchema,
  type CheckoutRelayBatch,
  type RelayBatch,
} from '../../src/contract/relayBatch';

export type RelayTarget = { bridgeUrl: string; secret: string };
export type PushResult = { ok: true; acked: number } | { ok: false; error: string };

/** A push that hangs must not hold the alarm: it is retried later with the same events. */
const PUSH_TIMEOUT_MS = 10_000;

/** Sends one signed batch of a SKU's outbox; success only when the bridge acknowledged its last version. */
export const pushBatch = (target: RelayTarget, batch: RelayBatch, now: number): Promise<PushResult> =>
  push(target, INGEST_PATH, batch, (answer) => {
    const ack = RelayAckSchema.safeParse(answer);
    return ack.success && ack.data.sku === batch.sku ? ack.data.acked : null;
  }, now);

/** Sends one signed batch of a checkout's log, acknowledged the same way. */
export const pushCheckoutBatch = (target: RelayTarget, batch: CheckoutRelayBatch, now: number): Promise<PushResult> =>
  push(target, CHECKOUT_INGEST_PATH, batch, (answer) => {
    const ack = CheckoutRelayAckSchema.safeParse(answer);
    return ack.success && ack.data.checkoutId === batch.checkoutId ? ack.data.acked : null;
  }, now);

async function push(
  target: RelayTarget,
  path: string,
  batch: { events: readonly { version: number }[] },
  ackedVersion: (answer: unknown) => number | null,
  now: number,
): Promise<PushResult> {
  const url = new URL(path, target.bridgeUrl);
  const body = JSON.stringify(batch);
  const last = batch.events[batch.events.length - 1]!.version;
  try {
    const signed = await signatureHeaders(target.secret, { method: 'POST', path: url.pathname + url.search, body }, now);
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...signed, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) return { ok: false, error: `bridge answered ${response.status}: ${text.slice(0, 200)}` };
    if (ackedVersion(JSON.parse(text)) !== last) return { ok: false, error: `bridge acknowledged ${text.slice(0, 200)} up to ${last}` };
    return { ok: true, acked: last };
  } catch (error) {
    return { ok: false, error: `push failed: ${String(error)}` };
  }
}

export type RelaySettings = { target: RelayTarget | null; maxBackoffMs: number };

const DEFAULT_RELAY_MAX_BACKOFF_SECONDS = 30;

/** No bridge configured (tests of the edge alone): the log is kept and nothing is pushed. */
export function relaySettings(env: { BRIDGE_URL?: string; INTERNAL_SECRET?: string; RELAY_MAX_BACKOFF_SECONDS?: string }): RelaySettings {
  const secret = parseSecrets(env.INTERNAL_SECRET)[0];
  return {
    target: env.BRIDGE_URL && secret ? { bridgeUrl: env.BRIDGE_URL, secret } : null,
    maxBackoffMs: 1000 * (Number(env.RELAY_MAX_BACKOFF_SECONDS) || DEFAULT_RELAY_MAX_BACKOFF_SECONDS),
  };
}
