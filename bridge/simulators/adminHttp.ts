import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { adminKeyCheck } from '../http/adminKey';

/**
 * What the warehouse simulators' admin APIs share: the key and JSON-only checks, the body limit,
 * body parsing by a zod schema, and the project's error shape `{error: {code, message, details?}}`.
 */

export const MAX_ADMIN_BYTES = 16 * 1024;
const JSON_TYPE = /^application\/json(\s*;.*)?$/i;

export type Refusal<Code extends string> = { code: Code; message: string; issues?: unknown };
export type Parsed<T> = { ok: true; value: T } | { ok: false; refusal: Refusal<'invalid_request'> };

/** Answers a refusal with the status its code maps to. */
export function refuser<const Status extends Record<string, ContentfulStatusCode>>(status: Status) {
  return (c: Pick<Context, 'json'>, { code, message, issues }: Refusal<Extract<keyof Status, string>>) =>
    c.json({ error: { code, message, ...(issues ? { details: { issues } } : {}) } }, status[code]);
}

/**
 * Every `/admin/*` call needs one of the simulator's own admin keys, and every body is JSON: a web
 * page can send a `text/plain` POST to any address without asking, but neither a key nor a JSON
 * body without the browser's preflight.
 */
export function guardAdmin(app: Hono, adminKeys: readonly string[], refuse: (c: Pick<Context, 'json'>, refusal: Refusal<'unauthorized' | 'invalid_request'>) => Response): void {
  const isAdmin = adminKeyCheck(adminKeys);
  app.use('/admin/*', async (c, next) => {
    if (!isAdmin(c.req.header('authorization'))) return refuse(c, { code: 'unauthorized', message: 'an admin key is required: Authorization: Bearer <key>' });
    if (c.req.method !== 'GET' && !JSON_TYPE.test(c.req.header('content-type') ?? '')) {
      return refuse(c, { code: 'invalid_request', message: 'Content-Type must be application/json' });
    }
    await next();
  });
  app.use(bodyLimit({ maxSize: MAX_ADMIN_BYTES, onError: (c) => refuse(c, { code: 'invalid_request', message: `body exceeds ${MAX_ADMIN_BYTES} bytes` }) }));
}

export async function body<T>(c: Context, schema: z.ZodType<T>): Promise<Parsed<T>> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    return { ok: false, refusal: { code: 'invalid_request', message: 'body is not JSON' } };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, refusal: { code: 'invalid_request', message: 'invalid body', issues: issuesOf(parsed.error) } };
}

export const issuesOf = (error: z.ZodError) => error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
