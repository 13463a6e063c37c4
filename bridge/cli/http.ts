import { z } from 'zod';
import { CallFailed } from './exit';

/** One component's admin API as the CLI reaches it. */
export type Service = { name: string; baseUrl: string; adminKey: string | null; timeoutMs: number };
type Method = 'GET' | 'POST' | 'PUT';

/** The service without its key: for `/healthz`, which needs none and may sit behind a proxy that logs headers. */
export const anonymous = (service: Service): Service => ({ ...service, adminKey: null });
export type Reply = { status: number; body: unknown };

/** Every admin API answers errors as `{error: {code, message}}` (the edge, the bridge, the simulator). */
const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string().optional() }) });

/**
 * One request, JSON both ways. Paths are absolute: they resolve against the origin, so the WMS
 * admin API is found beside its SOAP endpoint. Throws only when no answer came at all.
 */
export async function exchange(service: Service, method: Method, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(path, service.baseUrl);
  const headers: Record<string, string> = { accept: 'application/json', ...extra };
  if (service.adminKey) headers.authorization = `Bearer ${service.adminKey}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(service.timeoutMs),
    });
  } catch (error) {
    throw new CallFailed(`${service.name} ${noAnswer(error, service.timeoutMs)} (${method} ${url.href})`);
  }
  const text = await response.text();
  return { status: response.status, body: parseJson(text) };
}

/** A call that must succeed with a body of the given shape; anything else is a CallFailed naming what came back. */
export async function call<T>(service: Service, method: Method, path: string, schema: z.ZodType<T>, body?: unknown, headers?: Record<string, string>): Promise<T> {
  const reply = await exchange(service, method, path, body, headers);
  if (reply.status < 200 || reply.status > 299) {
    const error = ErrorBodySchema.safeParse(reply.body);
    const detail = error.success ? `: ${error.data.error.code}${error.data.error.message ? ` (${error.data.error.message})` : ''}` : '';
    throw new CallFailed(`${service.name} answered HTTP ${reply.status}${detail} to ${method} ${path}`, error.success ? error.data.error.code : null);
  }
  const parsed = schema.safeParse(reply.body);
  if (!parsed.success) {
    throw new CallFailed(`${service.name} sent an unexpected answer to ${method} ${path}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** fetch hides the reason (refused, unknown host, reset) in `cause`; that is what the operator needs. */
function noAnswer(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `did not answer within ${timeoutMs} ms`;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  // Connecting to every address of a host fails as an AggregateError with an empty message but a code.
  const code = cause instanceof Error ? (cause as { code?: unknown }).code : undefined;
  const reason = cause instanceof Error ? cause.message || (typeof code === 'string' ? code : cause.name) : String(cause);
  return `unreachable: ${reason}`;
}
