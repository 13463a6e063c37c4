import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { IdempotencyKeySchema, ReserveBodySchema } from '../../src/contract/schemas';
import { SkuIdSchema } from '../../src/domain/sku';
import { BASELINES, openStore, type Baseline, type Durability } from './stores';

/**
 * A baseline behind the same HTTP request shape as the edge's reservation route: bearer key,
 * Idempotency-Key header, the same zod body schema, 201 or 409. It does not store idempotency
 * records or an event log (the edge does both), which favours the baseline.
 */
const [kind, durability, port, key] = process.argv.slice(2) as [Baseline, Durability, string, string];
if (!BASELINES.includes(kind)) throw new Error(`unknown baseline ${kind}`);
const store = openStore(kind, durability);
const app = new Hono();

app.post('/v1/skus/:sku/reservations', async (c) => {
  if (c.req.header('authorization') !== `Bearer ${key}`) return c.json({ error: { code: 'unauthorized' } }, 401);
  const sku = SkuIdSchema.safeParse(c.req.param('sku'));
  const idempotencyKey = IdempotencyKeySchema.safeParse(c.req.header('idempotency-key'));
  const body = ReserveBodySchema.safeParse(await c.req.json().catch(() => null));
  if (!sku.success || !idempotencyKey.success || !body.success) return c.json({ error: { code: 'invalid_request' } }, 400);
  const reservationId = `res_${randomUUID()}`;
  const outcome = await store.reserve(sku.data, reservationId, body.data.customerId, body.data.qty);
  if (outcome === 'insufficient') return c.json({ error: { code: 'insufficient_stock' } }, 409);
  return c.json({ reservationId, sku: sku.data, customerId: body.data.customerId, qty: body.data.qty, status: 'held' }, 201);
});
app.put('/bench/stock/:sku', async (c) => {
  await store.setStock(c.req.param('sku'), (await c.req.json<{ onHand: number }>()).onHand);
  return c.json({ ok: true });
});
app.get('/bench/counters/:sku', async (c) => c.json(await store.counters(c.req.param('sku'))));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(port) }, () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => void store.close().then(() => process.exit(0))));
