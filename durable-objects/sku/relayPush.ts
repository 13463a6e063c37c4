import { signatureHeaders } from '../../src/internal/signature';
import { INGEST_PATH, RelayAckSchema, type RelayBatch } from '../../src/internal/relayBatch';

export type RelayTarget = { bridgeUrl: string; secret: string };
export type PushResult = { ok: true; acked: number } | { ok: false; error: string };

/** A push that hangs must not hold the alarm: it is retried later with the same events. */
const PUSH_TIMEOUT_MS = 10_000;

/** Sends one signed batch; success only when the bridge acknowledged its last version. */
export async function pushBatch(target: RelayTarget, batch: RelayBatch, now: number): Promise<PushResult> {
  const url = new URL(INGEST_PATH, target.bridgeUrl);
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
    const ack = RelayAckSchema.safeParse(JSON.parse(text));
    if (!ack.success || ack.data.sku !== batch.sku || ack.data.acked !== last) {
      return { ok: false, error: `bridge acknowledged ${text.slice(0, 200)} for ${batch.sku} up to ${last}` };
    }
    return { ok: true, acked: last };
  } catch (error) {
    return { ok: false, error: `push failed: ${String(error)}` };
  }
}
