import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { SkuIdSchema, StreamIdSchema } from '../domain/sku';
import { requireRole, type AppEnv } from './auth';
import { errorResponse } from './errors';
import { requireSignature } from './internalAuth';
import { overloadOf } from './overload';
import { admin } from './routes/admin';
import { faults } from './routes/faults';
import { checkouts } from './routes/checkouts';
import { internal } from './routes/internal';
import { internalProjections } from './routes/internalProjections';
import { internalStats } from './routes/internalStats';
import { reservations } from './routes/reservations';
import { skus } from './routes/skus';

/** An undecodable segment stays raw: its `%` fails the SKU pattern with the pattern's message. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export const MAX_BODY_BYTES = 16 * 1024;
const JSON_TYPE = /^application\/json(\s*;.*)?$/i;

export const app = new OpenAPIHono<AppEnv>();

app.use('*', requestId());
// Issue 26: every answer says nosniff, HSTS and no framing; an API answer no route made cacheable
// (a reservation, a checkout: they carry customer ids) is not stored by any cache on the way.
app.use('*', secureHeaders());
app.use('*', async (c, next) => {
  await next();
  if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
});
// Who is calling comes first: an unauthenticated caller learns nothing about its input.
app.use('/v1/skus/*', requireRole('storefront'));
app.use('/v1/checkouts', requireRole('storefront'));
app.use('/v1/checkouts/*', requireRole('storefront'));
app.use('/v1/admin/*', requireRole('admin'));
// No GET or HEAD route takes a body. One sent chunked would also make bodyLimit rebuild the
// request with its body, which the runtime refuses for these methods (a TypeError, so a 500).
app.use('*', async (c, next) => {
  const bodiless = c.req.method === 'GET' || c.req.method === 'HEAD';
  const declaredEmpty = c.req.header('content-length') === '0' && c.req.header('transfer-encoding') === undefined;
  if (bodiless && c.req.raw.body && !declaredEmpty) {
    return errorResponse(c, { code: 'invalid_request', message: `a ${c.req.method} request has no body` });
  }
  await next();
});
app.use(
  '*',
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => errorResponse(c, { code: 'invalid_request', message: `body exceeds ${MAX_BODY_BYTES} bytes` }),
  }),
);
// Signatures cover the raw body, so it is read only once its size is known to be bounded.
app.use('/internal/*', requireSignature());
app.use('/v1/*', async (c, next) => {
  const hasBody = c.req.method === 'POST' || c.req.method === 'PUT' || c.req.method === 'PATCH';
  if (hasBody && !JSON_TYPE.test(c.req.header('content-type') ?? '')) {
    return errorResponse(c, { code: 'invalid_request', message: 'Content-Type must be application/json' });
  }
  await next();
});

/**
 * A SKU names a Durable Object, so it is checked before any route can address one, including
 * paths no route matches (an empty or undecodable segment).
 */
const SKU_SEGMENT = /^\/(v1\/(?:admin\/)?|internal\/)skus\/([^/]*)/;
app.use('*', async (c, next) => {
  const [, prefix, raw] = SKU_SEGMENT.exec(c.req.path) ?? [];
  // The bridge's routes name a stream: a SKU or one of its shards.
  const schema = prefix === 'internal/' ? StreamIdSchema : SkuIdSchema;
  const checked = raw === undefined ? null : schema.safeParse(safeDecode(raw));
  if (checked && !checked.success) {
    return errorResponse(c, { code: 'invalid_request', message: checked.error.issues[0]?.message ?? 'invalid sku' });
  }
  await next();
});

app.get('/healthz', (c) => c.json({ status: 'ok' }));

app.route('/v1/skus', skus);
app.route('/v1/skus', reservations);
app.route('/v1/checkouts', checkouts);
app.route('/v1/admin', admin);
app.route('/v1/admin', faults);
app.route('/internal', internal);
app.route('/internal/projections', internalProjections);
app.route('/internal/stats', internalStats);

app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
app.doc31('/openapi.json', (c) => ({
  openapi: '3.1.0',
  info: {
    title: 'Flash-sale inventory',
    version: '0.1.0',
    description:
      'Reservations that never oversell: one Durable Object per SKU (or per shard of a hot SKU) is the single writer. ' +
      'Every error is `{"error":{"code","message","details"?}}`; each operation lists the codes it can answer. ' +
      'Writes are idempotent by `Idempotency-Key`: retry with the same key after a network failure or a `503` (after its `Retry-After`).',
    license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
  },
  // The Worker that serves this document is the API it describes.
  servers: [{ url: new URL(c.req.url).origin, description: 'this deployment' }],
  tags: [
    { name: 'stock', description: 'What is left of a SKU' },
    { name: 'reservations', description: 'Holding units for a buyer until they pay or the hold lapses' },
    { name: 'checkouts', description: 'Every line of a cart reserved, or none' },
    { name: 'admin', description: 'Stock, receipts, releases and the logs (admin keys only)' },
  ],
}));

app.notFound((c) => errorResponse(c, { code: 'not_found' }));
app.onError((error, c) => {
  // Hono raises HTTPException for malformed requests (e.g. unparsable JSON): a client error.
  if (error instanceof HTTPException && error.status < 500) {
    return errorResponse(c, { code: 'invalid_request', message: error.message || 'invalid request' });
  }
  // An object the runtime could not get the call through to: an answer for the client, not a bug.
  const overload = overloadOf(error);
  if (overload) {
    console.warn(JSON.stringify({ level: 'warn', requestId: c.get('requestId'), message: 'overloaded', error: String(error) }));
    return errorResponse(c, overload);
  }
  console.error(JSON.stringify({ level: 'error', requestId: c.get('requestId'), message: String(error), stack: (error).stack }));
  return errorResponse(c, { code: 'internal' });
});
