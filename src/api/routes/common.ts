import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../auth';
import { errorResponse } from '../errors';
import { ErrorSchema } from '../schemas';

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
    headers: { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } } },
  },
} as const;

export const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
export const body = <S>(schema: S) => ({ required: true, content: { 'application/json': { schema } } });
export const security = [{ bearer: [] }];
