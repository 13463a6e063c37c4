import { CookieJar } from 'tough-cookie';
import { z } from 'zod';
import { WmsError } from '../wms/client';
import { ODataErrorSchema } from './wire';

/**
 * One HTTP session with the SAP system's OData services: Basic auth, the CSRF token and the
 * session cookie it is bound to, the size limit of a reply, and every transport failure turned
 * into a WmsError of the port's kinds. What a 4xx means is the caller's business.
 */

export const SERVICE_ROOT = '/sap/opu/odata/sap/';
export type Service = 'API_RESERVATION_DOCUMENT_SRV' | 'API_MATERIAL_STOCK_SRV' | 'API_MATERIAL_DOCUMENT_SRV';
export type SapConnection = { url: string; user: string; password: string };

/** A list of thousands of reservation items fits; a runaway endpoint costs the bridge at most this much heap. */
export const MAX_ODATA_REPLY_BYTES = 4 * 1024 * 1024;
/** The request never reached the warehouse: nothing can have been applied. */
const UNREACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** An answer the session did not turn into an error: 2xx, or a 4xx the caller interprets. */
export type Reply = { status: number; headers: Headers; body: unknown };
/** The whole operation's time: every request of it runs under one signal. */
export type Deadline = { signal: AbortSignal; ms: number };
export const deadline = (ms: number): Deadline => ({ signal: AbortSignal.timeout(ms), ms });
export type Request = { method: 'GET' | 'POST' | 'DELETE'; service: Service; path: string; body?: unknown; ifMatch?: string };

export class ODataSession {
  readonly #auth: string;
  readonly #jar = new CookieJar();
  /** Per service: SAP Gateway binds a token to the session, and a service may keep its own. */
  readonly #tokens = new Map<Service, string>();

  constructor(private readonly connection: SapConnection) {
    this.#auth = `Basic ${Buffer.from(`${connection.user}:${connection.password}`).toString('base64')}`;
  }

  /**
   * Sends one request within `deadline` (the whole operation's). A write without a token
   * fetches one first, and a 403 `x-csrf-token: Required` (expired, or the session lost) fetches
   * a fresh one and sends once more: a request refused for its token was not applied.
   */
  async send(operation: string, request: Request, deadline: Deadline): Promise<Reply> {
    if (request.method === 'GET') return this.#exchange(operation, request, deadline);
    if (!this.#tokens.has(request.service)) await this.#fetchToken(operation, request.service, deadline);
    const first = await this.#exchange(operation, request, deadline);
    if (!isTokenRefusal(first)) return first;
    this.#tokens.delete(request.service);
    await this.#fetchToken(operation, request.service, deadline);
    const second = await this.#exchange(operation, request, deadline);
    if (isTokenRefusal(second)) throw new WmsError('fault', `${operation}: the warehouse refused a fresh CSRF token (HTTP 403)`);
    return second;
  }

  async #fetchToken(operation: string, service: Service, deadline: Deadline): Promise<void> {
    await this.#exchange(operation, { method: 'GET', service, path: '' }, deadline);
    if (!this.#tokens.has(service)) throw new WmsError('fault', `${operation}: the warehouse gave no CSRF token on ${service}`);
  }

  async #exchange(operation: string, { method, service, path, body, ifMatch }: Request, deadline: Deadline): Promise<Reply> {
    const url = new URL(`${SERVICE_ROOT}${service}/${path}`, this.connection.url);
    const token = this.#tokens.get(service);
    const headers: Record<string, string> = { authorization: this.#auth, accept: 'application/json', 'x-csrf-token': token ?? 'Fetch' };
    const cookie = await this.#jar.getCookieString(url.href);
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (ifMatch !== undefined) headers['if-match'] = ifMatch;
    let status: number;
    let replyHeaders: Headers;
    let text: string;
    try {
      const response = await fetch(url, { method, headers, signal: deadline.signal, redirect: 'manual', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      status = response.status;
      replyHeaders = response.headers;
      text = await readLimited(response, operation);
    } catch (error) {
      throw transportError(operation, method, error, deadline);
    }
    for (const set of replyHeaders.getSetCookie()) await this.#jar.setCookie(set, url.href, { ignoreError: true });
    const fresh = replyHeaders.get('x-csrf-token');
    if (fresh && fresh.toLowerCase() !== 'required') this.#tokens.set(service, fresh);
    const parsed = text === '' ? null : parseJson(text);
    if (status >= 200 && status < 300) {
      if (parsed === undefined) throw new WmsError('fault', `${operation}: HTTP ${status} with a body that is not JSON`);
      return { status, headers: replyHeaders, body: parsed };
    }
    const detail = odataMessage(parsed);
    // The saga retries on its own clock; SAP's Retry-After goes in the message for whoever looks.
    const after = replyHeaders.get('retry-after');
    const retryAfter = after ? `, retry after ${after}${/^\d+$/.test(after) ? ' s' : ''}` : '';
    if (status === 429) throw new WmsError('unavailable', `${operation}: HTTP 429 too many requests${retryAfter}${detail}`);
    if (status >= 500) throw new WmsError('unavailable', `${operation}: HTTP ${status}${retryAfter}${detail}`);
    if (status === 401) throw new WmsError('fault', `${operation}: HTTP 401: the warehouse refused the user and password`);
    return { status, headers: replyHeaders, body: parsed };
  }
}

const isTokenRefusal = (reply: Reply) => reply.status === 403 && reply.headers.get('x-csrf-token')?.toLowerCase() === 'required';

/** A 4xx the caller does not expect: a fault, with SAP's own message code and text. */
export function refused(operation: string, reply: Reply): WmsError {
  return new WmsError('fault', `${operation}: HTTP ${reply.status}${odataMessage(reply.body)}`);
}

/** The body as `schema` has it, or a fault naming what is wrong. */
export function bodyOf<T>(operation: string, reply: Reply, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(reply.body);
  if (parsed.success) return parsed.data;
  throw new WmsError('fault', `${operation}: unexpected reply: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
}

/** SAP's error code of a refusal (`M7/021`), if its body is an OData error. */
export function errorCode(reply: Reply): string | undefined {
  const parsed = ODataErrorSchema.safeParse(reply.body);
  return parsed.success ? parsed.data.error.code : undefined;
}

function odataMessage(body: unknown): string {
  const parsed = ODataErrorSchema.safeParse(body);
  return parsed.success ? `: ${parsed.data.error.code} ${parsed.data.error.message.value}` : '';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function readLimited(response: Response, operation: string): Promise<string> {
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > MAX_ODATA_REPLY_BYTES) {
      await reader.cancel();
      throw new WmsError('fault', `${operation}: reply larger than ${MAX_ODATA_REPLY_BYTES} bytes, refused unread; it may or may not have been applied`);
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What fetch (undici) throws: an abort, or `TypeError: fetch failed` with the socket error as its cause. */
function transportError(operation: string, method: string, error: unknown, { signal, ms }: Deadline): WmsError {
  if (error instanceof WmsError) return error;
  const maybe = method === 'GET' ? '' : '; it may or may not have been applied';
  if (signal.aborted) return new WmsError('timeout', `${operation}: no answer within ${ms} ms${maybe}`, { cause: error });
  const code = codeOf(error);
  if (code && UNREACHED.has(code)) return new WmsError('unavailable', `${operation}: warehouse unreachable (${code})`, { cause: error });
  return new WmsError('timeout', `${operation}: no answer (${code ?? messageOf(error)})${maybe}`, { cause: error });
}

function codeOf(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') return e.code;
    const inner = e.errors?.find((x): x is { code: string } => typeof (x as { code?: unknown }).code === 'string');
    if (inner) return inner.code;
  }
  return undefined;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
