import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { CheckoutView } from '../../../durable-objects/Checkout';
import type { Outcome } from '../../contract/outcome';
import type { AppEnv } from '../auth';
import { idempotencyInput } from '../idempotency';
import { respond } from '../respond';
import { reservationStream } from '../../contract/routing';
import { stub } from '../../env';
import { CheckoutBodySchema, CheckoutDetailSchema, CheckoutParamsSchema, CheckoutSchema, CustomerBodySchema, CustomerHeaderSchema, CustomerQuerySchema, IdempotencyHeadersSchema } from '../../contract/schemas';
import { body, customerOf, errorsFor, json, REPLAYED, router, security } from './common';
import { errorResponse } from '../errors';
import { rateLimited } from '../rateLimits';
import { workerConfig } from '../../config';
import { withRegion } from '../../domain/checkout';

export const checkouts = router();

const CHECKOUT_ROUTE = 'POST /v1/checkouts';

/** The checkout id follows from the idempotency scope: a retry reaches the same coordinator. */
async function checkoutId(scope: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`checkout\n${scope}`)));
  return `chk_${Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Reserved or refused is an answer; anything else means a step is being retried. */
const inProgress = (outcome: Outcome<CheckoutView>): boolean =>
  outcome.ok === true && (outcome.value.status === 'reserving' || outcome.value.status === 'compensating');

const coordinator = (c: Context<AppEnv>, id: string) => c.env.CHECKOUT.getByName(id);

checkouts.openapi(
  createRoute({
    method: 'post',
    path: '/',
    operationId: 'checkout',
    tags: ['checkouts'],
    summary: 'Reserve every line of a cart, or none',
    description:
      'Lines are reserved in SKU order, each sourced by its `region` (else the checkout\'s `region`), so lines may come ' +
      'from different locations (each line\'s `location` in the answer); on any refusal those already held are released (`StockReleased` ' +
      '`cancelled`) and the answer is 409 `checkout_refused`. 202 while a step is being retried. ' +
      'Idempotent by `Idempotency-Key`, scoped to (key owner, customerId).',
    security,
    request: { headers: IdempotencyHeadersSchema, body: body(CheckoutBodySchema) },
    responses: {
      201: json(CheckoutSchema, 'every line reserved', REPLAYED),
      202: json(CheckoutSchema, 'in progress: a SKU object did not answer; the checkout resumes by itself', REPLAYED),
      ...errorsFor('checkout_refused', 'checkout_conflict', 'idempotency_key_reused', 'rate_limited'),
    },
  }),
  async (c) => {
    const { customerId, lines, ttlSeconds, region } = c.req.valid('json');
    const limited = await rateLimited(c, customerId);
    if (limited) return errorResponse(c, limited) as never;
    // The checkout's region is each line's that names none: lines of one checkout may be sourced to different locations.
    const request = { customerId, lines: withRegion(lines, region), ttlSeconds: ttlSeconds ?? workerConfig(c.env).DEFAULT_TTL_SECONDS };
    const { scope, requestHash } = await idempotencyInput(c.get('principal'), customerId, CHECKOUT_ROUTE, c.req.valid('header')['idempotency-key'], request);
    const id = await checkoutId(scope);
    const outcome: Outcome<CheckoutView> = await coordinator(c, id).start({ checkoutId: id, ...request, ...(ttlSeconds === undefined ? { ttlDefaulted: true as const } : {}), requestHash });
    return respond(c, outcome, inProgress(outcome) ? 202 : 201);
  },
);

checkouts.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    operationId: 'getCheckout',
    tags: ['checkouts'],
    summary: 'A checkout and its lines',
    security,
    request: { params: CheckoutParamsSchema, query: CustomerQuerySchema, headers: CustomerHeaderSchema },
    responses: { 200: json(CheckoutDetailSchema, 'the checkout, with each reservation as its SKU object has it'), ...errorsFor('checkout_not_found') },
  }),
  async (c) => {
    const customer = customerOf(c, c.req.valid('header')['x-customer-id'], c.req.valid('query').customerId);
    if (!customer.ok) return errorResponse(c, customer.error) as never;
    return respond(c, await withReservations(c, await coordinator(c, c.req.valid('param').id).view(customer.value), customer.value));
  },
);

async function withReservations(c: Context<AppEnv>, outcome: Outcome<CheckoutView>, customerId: string) {
  if (!outcome.ok) return outcome;
  const lines = await Promise.all(outcome.value.lines.map(async (line) => ({ ...line, reservation: await reservationOf(c, line, customerId) })));
  return { ok: true as const, value: { ...outcome.value, lines } };
}

/** A line's reservation now: allocation and purchase state live in its SKU object, not in the checkout. */
async function reservationOf(c: Context<AppEnv>, line: CheckoutView['lines'][number], customerId: string) {
  if (!line.reservationId) return null;
  const stream = reservationStream(line.sku, line.reservationId);
  const found = await stub(c.env, stream).reservation({ sku: stream, reservationId: line.reservationId, customerId });
  if (!found.ok) return null;
  const { status, allocation, expiresAt, releaseReason, refundDue, location } = found.value;
  return { status, allocation, expiresAt, releaseReason, refundDue, ...(location === undefined ? {} : { location }) };
}

checkouts.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/complete',
    operationId: 'completeCheckout',
    tags: ['checkouts'],
    summary: 'The buyer paid: every line is completed',
    security,
    request: { params: CheckoutParamsSchema, body: body(CustomerBodySchema) },
    responses: { 200: json(CheckoutSchema, 'completed (idempotent)'), ...errorsFor('checkout_not_found', 'checkout_conflict') },
  }),
  async (c) => respond(c, await coordinator(c, c.req.valid('param').id).change(c.req.valid('json').customerId, 'complete')),
);

checkouts.openapi(
  createRoute({
    method: 'delete',
    path: '/{id}',
    operationId: 'cancelCheckout',
    tags: ['checkouts'],
    summary: 'Cancel the checkout: every held line is released',
    security,
    request: { params: CheckoutParamsSchema, query: CustomerQuerySchema, headers: CustomerHeaderSchema },
    responses: { 200: json(CheckoutSchema, 'cancelled (idempotent)'), ...errorsFor('checkout_not_found', 'checkout_conflict') },
  }),
  async (c) => {
    const customer = customerOf(c, c.req.valid('header')['x-customer-id'], c.req.valid('query').customerId);
    if (!customer.ok) return errorResponse(c, customer.error) as never;
    return respond(c, await coordinator(c, c.req.valid('param').id).change(customer.value, 'cancel'));
  },
);
