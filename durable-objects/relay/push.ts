import { workerConfig, type WorkerVars } from '../../src/config';
import { ackParts, NONCE_HEADER, SIGNATURE_HEADER, signatureHeaders, TIMESTAMP_HEADER, verifySignature } from '../../src/contract/signature';
import {
  CHECKOUT_INGEST_PATH,
  CheckoutRelayAckSchema,
  INGEST_PATH,
  RelayAckSchema,
  type CheckoutRelayBatch,
  type RelayBatch,
} from '../../src/contract/relayBatch';
import { attemptTimeoutMs, replicaUnavailable, ReplicaChoice } from './replicas';

/** Where pushes go: the bridge replicas (or why BRIDGE_URL is unusable) and the secret that signs them. */
/** `secret` signs pushes; `secrets` (the first among them) verify the bridges' acknowledgements. */
export type RelayTarget = { replicas: ReplicaChoice | { error: string }; secret: string; secrets?: readonly string[] };
export type PushResult = { ok: true; acked: number } | { ok: false; error: string };

/** Sends one signed batch of a SKU's outbox; success only when a bridge acknowledged its last version. */
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

type Attempt = { kind: 'acked' } | { kind: 'unavailable' | 'refused'; error: string };

/**
 * Tries the replicas in the object's order until one acknowledges. An unavailable replica (no
 * connection, timeout, 5xx) passes the batch to the next within the same run; a refusal (4xx, a
 * wrong acknowledgement) ends the run, since every replica would refuse it too. A replica that
 * appended but did not answer in time makes the next append it again: consumers dedupe by version.
 */
async function push(
  target: RelayTarget,
  path: string,
  batch: { events: readonly { version: number }[] },
  ackedVersion: (answer: unknown) => number | null,
  now: number,
): Promise<PushResult> {
  const { replicas } = target;
  // Misconfigured: nothing is pushed, writes go on, and the relay status shows what to fix.
  if (!(replicas instanceof ReplicaChoice)) return { ok: false, error: replicas.error };
  const body = JSON.stringify(batch);
  const last = batch.events[batch.events.length - 1]!.version;
  const order = replicas.order();
  const started = Date.now();
  const failures: string[] = [];
  for (const [n, index] of order.entries()) {
    const elapsed = Date.now() - started;
    const timeoutMs = attemptTimeoutMs(elapsed, n < order.length - 1);
    const origin = replicas.urls[index]!;
    if (timeoutMs === null) {
      failures.push(`${order.length - n} replica(s) not tried: the push's time was spent`);
      break;
    }
    const attempt = await pushTo(new URL(path, origin), target, body, last, ackedVersion, now + elapsed, timeoutMs);
    if (attempt.kind === 'acked') {
      replicas.acknowledged(index);
      return { ok: true, acked: last };
    }
    failures.push(order.length > 1 ? `${origin}: ${attempt.error}` : attempt.error);
    if (attempt.kind === 'refused') break;
  }
  return { ok: false, error: failures.join('; ') };
}

/** One replica, signed afresh (its own nonce), within `timeoutMs` from connecting to the last byte. */
async function pushTo(
  url: URL,
  target: RelayTarget,
  body: string,
  last: number,
  ackedVersion: (answer: unknown) => number | null,
  now: number,
  timeoutMs: number,
): Promise<Attempt> {
  let status: number;
  let text: string;
  let ack: Headers;
  const signed = await signatureHeaders(target.secret, { method: 'POST', path: url.pathname + url.search, body }, now);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...signed, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text();
    ack = response.headers;
  } catch (error) {
    return { kind: 'unavailable', error: `push failed: ${String(error)}` };
  }
  if (status < 200 || status > 299) return { kind: replicaUnavailable(status) ? 'unavailable' : 'refused', error: `bridge answered ${status}: ${text.slice(0, 200)}` };
  if (ackedVersion(parseJson(text)) !== last) return { kind: 'refused', error: `bridge acknowledged ${text.slice(0, 200)} up to ${last}` };
  const forged = await unsignedAck(target.secrets ?? [target.secret], ack, ackParts(url.pathname + url.search, signed[NONCE_HEADER]!, text), now);
  return forged ? { kind: 'refused', error: forged } : { kind: 'acked' };
}

/** Why an acknowledgement is not the bridge's own (not signed, or not for this push), or null. */
export async function unsignedAck(secrets: readonly string[], headers: Headers, parts: ReturnType<typeof ackParts>, now: number): Promise<string | null> {
  const check = await verifySignature(secrets, { timestamp: headers.get(TIMESTAMP_HEADER), nonce: headers.get(NONCE_HEADER), signature: headers.get(SIGNATURE_HEADER) }, parts, now);
  return check.ok ? null : `acknowledgement refused: signature ${check.reason}`;
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

export type RelaySettings = { target: RelayTarget | null; maxBackoffMs: number };

/**
 * No bridge configured (tests of the edge alone): the log is kept and nothing is pushed. `objectId`
 * picks the replica the object starts at. An invalid BRIDGE_URL does not stop the object (writes
 * stay available: invariant writes-without-back-office): its pushes fail with the reason, shown by the relay status and logs.
 */
export function relaySettings(env: WorkerVars, objectId: string): RelaySettings {
  const config = workerConfig(env);
  const secret = config.INTERNAL_SECRET[0];
  const urls = config.BRIDGE_URL;
  const replicas = !urls.ok ? { error: urls.error } : urls.urls.length > 0 ? new ReplicaChoice(urls.urls, objectId) : null;
  return {
    target: replicas && secret ? { replicas, secret, secrets: config.INTERNAL_SECRET } : null,
    maxBackoffMs: 1000 * config.RELAY_MAX_BACKOFF_SECONDS,
  };
}
