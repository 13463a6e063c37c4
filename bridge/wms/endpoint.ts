import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Server as SoapServer } from 'soap';
import type { Logger } from '../logger';
import type { FaultInjector } from './faults';
import { OPERATIONS, soapActionOf, type Operation } from './wsdl';
import { soapFaultEnvelope } from './xml';

/** Far above any request of this WSDL (a few hundred bytes), far below anything worth buffering. */
export const MAX_SOAP_BYTES = 64 * 1024;

/**
 * `<!DOCTYPE`, `<!ENTITY` and every other markup declaration: the only way to external entities
 * (XXE) and entity expansion (billion laughs). A SOAP message may not carry a DTD anyway (SOAP 1.1
 * section 3), so refusing is cheaper and safer than trusting a parser's settings. Comments and
 * CDATA sections are the only `<!` constructs allowed.
 */
const MARKUP_DECLARATION = /<!(?!--|\[CDATA\[)/;

export type SoapEndpointDeps = {
  soap: SoapServer;
  wsdl: string;
  faults: FaultInjector;
  logger: Logger;
  /** Aborted when the simulator closes: calls still waiting (latency, late) are dropped unapplied. */
  signal: AbortSignal;
};

const TOO_LARGE = Symbol('too large');

/**
 * `/wms`: the WSDL on GET `?wsdl`, SOAP on POST. Our own handler runs before `soap` sees anything,
 * so the size limit and the DTD refusal hold whatever `soap` and its XML parser would do; then the
 * fault plan decides what the call suffers.
 */
export function createSoapEndpoint({ soap, wsdl, faults, logger, signal }: SoapEndpointDeps) {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (faults.isOutage()) {
      const seconds = Math.ceil((faults.current.outageUntil - Date.now()) / 1000);
      return send(res, 503, 'text/plain', 'warehouse unavailable', { 'retry-after': String(seconds) });
    }
    if (req.method === 'GET' && new URL(req.url ?? '', 'http://wms').search.toLowerCase() === '?wsdl') {
      return send(res, 200, 'text/xml; charset=utf-8', wsdl);
    }
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'GET ?wsdl or POST a SOAP 1.1 envelope', { allow: 'GET, POST' });

    const xml = await readBody(req, MAX_SOAP_BYTES);
    if (xml === TOO_LARGE) {
      // The rest of the body is discarded unread; closing is the only way to stop a sender.
      return send(res, 413, 'text/plain', `a SOAP request is at most ${MAX_SOAP_BYTES} bytes`, { connection: 'close' });
    }
    if (MARKUP_DECLARATION.test(xml)) return sendFault(res, 'Client', 'DOCTYPE, ENTITY and other markup declarations are refused');
    const operation = operationOf(req.headers.soapaction);
    if (!operation) return sendFault(res, 'Client', `the SOAPAction header must be one of ${OPERATIONS.map(soapActionOf).join(', ')}`);

    const plan = faults.plan(operation);
    const log = logger.child({ operation, fate: plan.fate });
    if (plan.fate === 'timeout') {
      // Never answered: the socket is left open until the caller gives up (or close() ends it).
      log.info('SOAP call held without an answer');
      return;
    }
    await sleep(plan.delayMs, undefined, { signal });
    if (plan.fate === 'fault') {
      log.info('SOAP call answered with an injected fault');
      return sendFault(res, 'Server', 'injected fault: the warehouse failed, nothing was applied');
    }
    const replies = await Promise.all(
      Array.from({ length: plan.deliveries }, () => soap.processRequest(xml, { method: 'POST', url: req.url, headers: req.headers })),
    );
    const reply = replies[replies.length - 1]!;
    log.info({ deliveries: replies.length, status: reply.statusCode, delayMs: plan.delayMs, answered: !res.destroyed }, 'SOAP call');
    send(res, reply.statusCode, 'text/xml; charset=utf-8', reply.body);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      // Closing: the calls still waiting are dropped, with nobody to answer.
      if (signal.aborted) return void res.destroy();
      // Mostly a caller that went away in the middle of its request.
      logger.warn({ err: error }, 'SOAP request failed');
      if (res.headersSent) res.destroy();
      else sendFault(res, 'Server', 'the warehouse failed');
    });
  };
}

/** SOAP 1.1 wants the SOAPAction header; it must name one of our operations, as `soap` would match it. */
function operationOf(header: string | string[] | undefined): Operation | undefined {
  const action = typeof header === 'string' ? header.replace(/^"(.*)"$/, '$1') : undefined;
  return OPERATIONS.find((operation) => action === soapActionOf(operation) || action === operation);
}

/** The body as text, or TOO_LARGE as soon as it passes `limit` bytes (without keeping more than that). */
function readBody(req: IncomingMessage, limit: number): Promise<string | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // The stream keeps flowing with no listener: what follows is dropped as it arrives.
      req.off('data', onData);
      chunks.length = 0;
      resolve(TOO_LARGE);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
    req.once('close', () => reject(new Error('the request closed before its body ended')));
  });
}

function sendFault(res: ServerResponse, code: 'Client' | 'Server', message: string): void {
  // SOAP 1.1 answers every fault with HTTP 500; the faultcode says whose fault it is.
  send(res, 500, 'text/xml; charset=utf-8', soapFaultEnvelope(code, message));
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, ...headers }).end(body);
}
