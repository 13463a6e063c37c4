import { createHmac } from 'node:crypto';
import { NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../src/contract/signature';

/**
 * Signs internal calls like the bridge does, but with a nonce and timestamp we choose: the
 * product's `signatureHeaders` draws its own random nonce, which would make a seeded run differ
 * from one replay to the next, and cannot produce expired or future timestamps.
 */
export type SignInput = { secret: string; timestamp: string; nonce: string; method: string; path: string; body: string };

export function signatureFor(input: SignInput): string {
  const payload = `${input.timestamp}\n${input.nonce}\n${input.method.toUpperCase()}\n${input.path}\n${input.body}`;
  return `v1=${createHmac('sha256', input.secret).update(payload, 'utf8').digest('hex')}`;
}

export function signedHeaders(input: SignInput): Record<string, string> {
  return { [TIMESTAMP_HEADER]: input.timestamp, [NONCE_HEADER]: input.nonce, [SIGNATURE_HEADER]: signatureFor(input) };
}

/**
 * The fuzz's "valid" signatures are only worth something if the Worker accepts them: checked
 * once against the product's own verifier, so a change of the signed format fails loudly here
 * instead of silently turning every valid-signature probe into a mismatch.
 */
export async function assertSignerMatchesProduct(secret: string): Promise<void> {
  const input = { secret, timestamp: String(Math.floor(Date.now() / 1000)), nonce: '0123456789abcdef01234567', method: 'GET', path: '/internal/skus/A/events?after=0', body: '' };
  const check = await verifySignature(
    [secret],
    { timestamp: input.timestamp, nonce: input.nonce, signature: signatureFor(input) },
    { method: input.method, path: input.path, body: input.body },
    Date.now(),
  );
  if (!check.ok) throw new Error(`torture signer disagrees with src/contract/signature.ts (${check.reason})`);
}
