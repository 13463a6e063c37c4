import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSecrets, signatureHeaders, verifySignature, type SignedParts } from '../../../src/contract/signature';

const parts: SignedParts = { method: 'POST', path: '/ingest', body: '{"sku":"A"}' };
const NOW = 1_800_000_000_000;

async function check(secrets: string[], headers: Record<string, string>, signed: SignedParts = parts, now = NOW) {
  return verifySignature(secrets, { timestamp: headers['x-signature-timestamp'], nonce: headers['x-signature-nonce'], signature: headers['x-signature'] }, signed, now);
}

describe('internal call signatures', () => {
  it('a signature verifies and names its id and the end of its window', async () => {
    const headers = await signatureHeaders('s1', parts, NOW);
    expect(headers['x-signature-timestamp']).toBe('1800000000');
    expect(headers['x-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(headers['x-signature-nonce']).toMatch(/^[0-9a-f]{24}$/);
    expect(await check(['s1'], headers)).toEqual({ ok: true, id: headers['x-signature']!.slice(3), expiresAt: NOW + 300_000 });
  });

  it('two signatures of the same call in the same second differ (a nonce), so neither looks like a replay', async () => {
    const [a, b] = [await signatureHeaders('s1', parts, NOW), await signatureHeaders('s1', parts, NOW)];
    expect(a['x-signature']).not.toBe(b['x-signature']);
    expect((await check(['s1'], a)).ok && (await check(['s1'], b)).ok).toBe(true);
    expect(await check(['s1'], { ...a, 'x-signature-nonce': b['x-signature-nonce']! })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('any change to the body, method or path is a mismatch', async () => {
    const headers = await signatureHeaders('s1', parts, NOW);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('method', 'path', 'body'), fc.string({ minLength: 1 }), async (field, extra) => {
        const changed = { ...parts, [field]: parts[field] + extra };
        expect(await check(['s1'], headers, changed)).toEqual({ ok: false, reason: 'mismatch' });
      }),
      { numRuns: 50 },
    );
  });

  it('the window is 300 s either way', async () => {
    const headers = await signatureHeaders('s1', parts, NOW);
    expect((await check(['s1'], headers, parts, NOW + 300_000)).ok).toBe(true);
    expect(await check(['s1'], headers, parts, NOW + 301_000)).toEqual({ ok: false, reason: 'expired' });
    expect(await check(['s1'], headers, parts, NOW - 301_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rotation: the first secret signs, every listed secret verifies, others do not', async () => {
    const [current, previous] = parseSecrets(' new , old ,');
    expect([current, previous]).toEqual(['new', 'old']);
    expect((await check(['new', 'old'], await signatureHeaders('old', parts, NOW))).ok).toBe(true);
    expect(await check(['new'], await signatureHeaders('old', parts, NOW))).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('missing, malformed and wrong-length signatures are refusals, never crashes', async () => {
    const good = await signatureHeaders('s1', parts, NOW);
    expect(await check(['s1'], {})).toEqual({ ok: false, reason: 'missing' });
    expect(await check(['s1'], { 'x-signature-timestamp': good['x-signature-timestamp']! })).toEqual({ ok: false, reason: 'missing' });
    expect(await check(['s1'], { ...good, 'x-signature-nonce': '' })).toEqual({ ok: false, reason: 'missing' });
    expect(await check(['s1'], { ...good, 'x-signature-nonce': 'not hex!' })).toEqual({ ok: false, reason: 'malformed' });
    for (const bad of ['v2=00', 'v1=', 'v1=xyz', 'v1=abc', 'deadbeef']) {
      expect(await check(['s1'], { ...good, 'x-signature': bad }), bad).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(await check(['s1'], { ...good, 'x-signature-timestamp': '12.5' })).toEqual({ ok: false, reason: 'malformed' });
    expect(await check(['s1'], { ...good, 'x-signature': good['x-signature']!.slice(0, 41) })).toEqual({ ok: false, reason: 'mismatch' });
  });
});
