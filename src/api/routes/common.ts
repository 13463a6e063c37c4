import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { err, ok, type Result } from '../../domain/core/result';
import { z } from 'zod';
import type { AppEnv } from '../auth';
import type { ApiError } from '../../contract/errors';
import { errorResponse, statusOf } from '../errors';
import { ErrorSchema } from '../../contract/schemas';

/** A router whose validation failures use the one error shape. */
export const router = () =>
  new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const first = issues[0];
      return errorResponse(c, {
        code: 'invalid_request',
        message: first ? `${first.path || result.target}: ${first.message}` : 'invalid request',
        issues,
      });
    },
  });

const RETRY_AFTER = { description: 'whole seconds to wait before retrying', schema: { type: 'integer' as const, minimum: 1 } };

const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

export const errors = {
  400: error('invalid request'),
  401: error('missing or unknown bearer key'),
  403: error('key lacks the role'),
  404: error('not found'),
  409: error('conflict with the current state'),
  422: error('Idempotency-Key reused with another body'),
  503: {
    ...error('overloaded: the request was not taken; retry after Retry-After, with the same Idempotency-Key'),
    headers: { 'Retry-After': RETRY_AFTER },
  },
} as const;

type Code = ApiError['code'];
/** What any authenticated route may answer besides its own refusals. */
const ANY_ROUTE: Code[] = ['invalid_request', 'unauthorized', 'overloaded', 'internal'];
const MEANING: Record<number, string> = {
  400: 'invalid request',
  401: 'missing or unknown bearer key',
  403: 'this key lacks the role',
  404: 'not found',
  409: 'refused by the current state',
  422: 'Idempotency-Key reused with another body',
  429: 'too many requests for this customer or key: retry after Retry-After',
  500: 'internal error (a bug: report it with the X-Request-Id)',
  503: 'not taken now: retry after Retry-After, with the same Idempotency-Key',
};

/**
 * A public route's error answers: each status it can answer, with the exact codes it may carry
 * there, as an enum in the schema and a list in the description.
 */
export function errorsFor(...codes: Code[]) {
  const byStatus = new Map<number, Code[]>();
  for (const code of [...ANY_ROUTE, ...codes]) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, list]) => [
      status,
      {
        description: `${MEANING[status]}: ${list.map((code) => `\`${code}\``).join(', ')}`,
        content: {
          'application/json': {
            schema: z.object({
              error: z.object({ code: z.enum(list as [Code, ...Code[]]), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
            }),
          },
        },
        ...(status === 503 || status === 429 ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
      },
    ]),
  );
}

type Headers = Record<string, { description: string; schema: { type: 'string' | 'integer'; enum?: string[] } }>;
export const json = <S>(schema: S, description: string, headers?: Headers) => ({ description, content: { 'application/json': { schema } }, ...(headers ? { headers } : {}) });
/** On an answer given again for a retried Idempotency-Key. */
export const REPLAYED: Headers = { 'Idempotent-Replayed': { description: '`true` when this is the stored answer to an earlier request under the same Idempotency-Key', schema: { type: 'string', enum: ['true'] } } };
export const body = <S>(schema: S) => ({ required: true, content: { 'application/json': { schema } } });
export const security = [{ bearer: [] }];

/**
 * The customer a lookup is for: the `X-Customer-Id` header, else the deprecated `customerId` query
 * parameter (the answer then says `Deprecation: true`); both, they must agree.
 */
export function customerOf(c: Context, header: string | undefined, query: string | undefined): Result<string, ApiError> {
  if (header !== undefined && query !== undefined && header !== query) return err({ code: 'invalid_request', message: 'X-Customer-Id and customerId name different customers' });
  if (header !== undefined) return ok(header);
  if (query === undefined) return err({ code: 'invalid_request', message: 'X-Customer-Id: required (the customer whose reservation or checkout this is)' });
  c.header('Deprecation', 'true');
  return ok(query);
}
