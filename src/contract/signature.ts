/**
 * Internal calls between the edge and the bridge are signed with HMAC-SHA256 over the timestamp,
 * a nonce, the method, the path (with query) and the raw body. The project brief named timestamp + body; the
 * method and path are added so that a signed read of one SKU cannot be replayed against another
 * route, and the nonce so that two identical calls within one second (a poll, a quick retry) are
 * two signatures, not a replay. Web Crypto only, so the same code runs in workerd and in Node.
 */
export const SIGNATURE_HEADER = 'x-signature';
export const TIMESTAMP_HEADER = 'x-signature-timestamp';
export const NONCE_HEADER = 'x-signature-nonce';
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignedParts = { method: string; path: string; body: string };

export type SignatureCheck =
  | { ok: true; id: string; expiresAt: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'mismatch' };

const encoder = new TextEncoder();
/** Spelled so that it type-checks against both the Workers and the Node globals. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const keys = new Map<string, Promise<HmacKey>>();

function hmacKey(secret: string): Promise<HmacKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secret, key);
  }
  return key;
}

const payload = (timestamp: string, nonce: string, parts: SignedParts) =>
  encoder.encode(`${timestamp}\n${nonce}\n${parts.method.toUpperCase()}\n${parts.path}\n${parts.body}`);

const toHex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

function fromHex(hex: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})+$/.test(hex)) return null;
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));
}

/** Comma-separated secrets: the first signs, all verify, so a secret can be rotated without downtime. */
export const parseSecrets = (value: string | undefined): string[] =>
  (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);

/**
 * What a bridge signs its acknowledgement of a push over (issue 26): the pushed path, the push's
 * own nonce (so an ack answers that push, and no other) and the answer's body, with the same
 * secrets and headers as a request. A push whose ack does not verify is not acknowledged: its
 * events stay in the outbox (an ack forged on the way would otherwise drop them).
 */
export const ackParts = (path: string, pushNonce: string, body: string): SignedParts => ({ method: 'ACK', path: `${path}#${pushNonce}`, body });

export async function signatureHeaders(secret: string, parts: SignedParts, nowMs: number): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = toHex(crypto.getRandomValues(new Uint8Array(12)).buffer);
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(secret), payload(timestamp, nonce, parts));
  return { [TIMESTAMP_HEADER]: timestamp, [NONCE_HEADER]: nonce, [SIGNATURE_HEADER]: `v1=${toHex(signature)}` };
}

/**
 * Checks a signature in constant time (`subtle.verify`; a wrong length is just a mismatch).
 * A valid one answers its id and when it stops being acceptable, for the caller's replay guard.
 */
export async function verifySignature(
  secrets: readonly string[],
  headers: { timestamp: string | null | undefined; nonce: string | null | undefined; signature: string | null | undefined },
  parts: SignedParts,
  nowMs: number,
): Promise<SignatureCheck> {
  const { timestamp, nonce, signature } = headers;
  if (!timestamp || !nonce || !signature) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{16,64}$/.test(nonce) || !signature.startsWith('v1=')) return { ok: false, reason: 'malformed' };
  const bytes = fromHex(signature.slice(3));
  if (!bytes) return { ok: false, reason: 'malformed' };
  const signedAt = Number(timestamp);
  if (Math.abs(nowMs / 1000 - signedAt) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'expired' };
  const data = payload(timestamp, nonce, parts);
  for (const secret of secrets) {
    if (await crypto.subtle.verify('HMAC', await hmacKey(secret), bytes, data)) {
      return { ok: true, id: signature.slice(3), expiresAt: (signedAt + SIGNATURE_TOLERANCE_SECONDS) * 1000 };
    }
  }
  return { ok: false, reason: 'mismatch' };
}
