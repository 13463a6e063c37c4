import { Agent, request as httpRequest, type ClientRequest, type OutgoingHttpHeaders } from 'node:http';

/**
 * A raw HTTP client on node:http rather than fetch: fetch normalises paths (`..`, `%2e`), refuses
 * some header bytes and some methods, and a hostile client does none of that. Header values are
 * written as latin1, so a string made with `utf8Bytes()` puts raw UTF-8 (or invalid) bytes on
 * the wire.
 */
export type RawRequest = {
  method: string;
  /** The request target exactly as sent: not normalised, not encoded. */
  path: string;
  /** An array sends the header several times. */
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** No Content-Length: the body goes out chunked, so a size limit must count it as it streams. */
  chunked?: boolean;
};

export type RawResponse = { status: number; body: string };
export type SendResult = { ok: true; response: RawResponse } | { ok: false; error: string };

const TIMEOUT_MS = 30_000;
/** A kept-alive socket the server closed just as we wrote to it: reset, or a broken pipe. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);
const STALE_SOCKET_RETRIES = 3;
/**
 * The edge's body limit (MAX_BODY_BYTES in src/api/app.ts, which cannot be imported here: it
 * pulls in the Worker). Past it the edge answers 400 before reading the rest and the connection
 * closes; a client still writing may see the close (EPIPE) before the answer it was sent.
 */
const EDGE_BODY_LIMIT = 16 * 1024;
const MAX_RESPONSE_BYTES = 64 * 1024;

/** One try: `staleSocket` marks a failure worth one more try on a fresh connection. */
type Attempt = SendResult & { staleSocket?: boolean };

export class RawClient {
  readonly #origin: URL;
  readonly #agent: Agent;
  /**
   * Requests sent again because the connection was closed under them (not a server fault): a
   * kept-alive socket the server closed as it was reused, or an oversized body the server refused
   * and closed on while it was still being written.
   */
  staleSocketRetries = 0;

  constructor(origin: string, maxSockets: number) {
    this.#origin = new URL(origin);
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  async send(req: RawRequest): Promise<SendResult> {
    let attempt = await this.#once(req);
    // Node's documented race: the server may close an idle kept-alive socket just as we reuse it;
    // and a refused oversized body's answer may be lost to the close (twice in a row was seen on a
    // loaded machine, 2026-12-07). A few more tries on fresh connections must be answered.
    for (let retry = 0; retry < STALE_SOCKET_RETRIES && !attempt.ok && attempt.staleSocket; retry++) {
      this.staleSocketRetries++;
      attempt = await this.#once(req);
    }
    return attempt.ok ? { ok: true, response: attempt.response } : { ok: false, error: attempt.error };
  }

  close(): void {
    this.#agent.destroy();
  }

  #once(req: RawRequest): Promise<Attempt> {
    return new Promise((resolve) => {
      let outgoing: ClientRequest;
      try {
        outgoing = httpRequest({ host: this.#origin.hostname, port: this.#origin.port, method: req.method, path: req.path, headers: framed(req), agent: this.#agent });
      } catch (error) {
        // Node refuses spaces and control characters in a path: a generator bug, reported as such.
        resolve({ ok: false, error: `client refused the request: ${String(error)}` });
        return;
      }
      collect(outgoing, resolve, (req.body?.length ?? 0) > EDGE_BODY_LIMIT);
      outgoing.end(req.body);
    });
  }
}

function framed(req: RawRequest): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ...req.headers };
  if (req.body && !req.chunked) headers['content-length'] = String(req.body.length);
  // Node frames a body chunked by itself only for methods that usually carry one; a GET body
  // without any framing would be read by the server as the start of the next request.
  if (req.body && req.chunked) headers['transfer-encoding'] = 'chunked';
  return headers;
}

/** Resolves once with the answer (its first 64 KiB), or with why there was none. */
function collect(outgoing: ClientRequest, resolve: (attempt: Attempt) => void, oversized: boolean): void {
  let settled = false;
  const settle = (attempt: Attempt) => {
    if (!settled) resolve(attempt);
    settled = true;
  };
  let status: number | null = null;
  const chunks: Buffer[] = [];
  let size = 0;
  const answer = (): Attempt => ({ ok: true, response: { status: status!, body: Buffer.concat(chunks).toString('utf8') } });
  outgoing.setTimeout(TIMEOUT_MS, () => outgoing.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
  outgoing.on('response', (res) => {
    status = res.statusCode ?? 0;
    res.on('data', (chunk: Buffer) => {
      if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
      size += chunk.length;
    });
    res.on('end', () => settle(answer()));
    // A server may answer (400) before it read a huge body and then close: the answer counts.
    res.on('error', () => settle(answer()));
  });
  outgoing.on('error', (error: NodeJS.ErrnoException) => {
    if (status !== null) return settle(answer());
    settle({ ok: false, error: String(error), staleSocket: (outgoing.reusedSocket || oversized) && STALE_SOCKET_CODES.has(error.code ?? '') });
  });
}

/** A string whose latin1 encoding is the UTF-8 encoding of `text`: raw UTF-8 in a header or path. */
export const utf8Bytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
