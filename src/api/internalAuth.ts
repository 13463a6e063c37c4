import { createMiddleware } from 'hono/factory';
import { workerConfig } from '../config';
import { NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../contract/signature';
import type { AppEnv } from './auth';
import { errorResponse } from './errors';

/**
 * Internal routes answer only calls signed with `INTERNAL_SECRET` over the raw request. Without a
 * secret configured they are closed. Replays are refused by the SKU object the call names
 * (`acceptSignature`), which remembers each signature until its timestamp expires anyway.
 */
export const requireSignature = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const secrets = workerConfig(c.env).INTERNAL_SECRET;
    if (secrets.length === 0) return errorResponse(c, { code: 'invalid_signature', reason: 'not_configured' });
    const url = new URL(c.req.url);
    const check = await verifySignature(
      secrets,
      { timestamp: c.req.header(TIMESTAMP_HEADER), nonce: c.req.header(NONCE_HEADER), signature: c.req.header(SIGNATURE_HEADER) },
      { method: c.req.method, path: url.pathname + url.search, body: await c.req.text() },
      Date.now(),
    );
    if (!check.ok) return errorResponse(c, { code: 'invalid_signature', reason: check.reason });
    c.set('internal', { signatureId: check.id, expiresAt: check.expiresAt });
    await next();
  });
