import * as soap from 'soap';
import { z } from 'zod';
import type { Movement, StockLevel } from './movements';
import { OUT_OF_STOCK, type WmsRecord } from './records';
import {
  AllocateReplySchema,
  AllocationsPageSchema,
  CancelReplySchema,
  GetReplySchema,
  MovementsReplySchema,
  StockLevelsReplySchema,
  type AllocateResult,
  type AllocationsPage,
  type MovementsPage,
} from './replies';
import type { Operation } from './wsdl';

export type { AllocateResult, Movement, MovementsPage, StockLevel, WmsRecord };

/** The warehouse refused an allocation for stock: its location had fewer units free than asked. */
export type StockRefusal = { status: 'rejected'; reason: typeof OUT_OF_STOCK };
export const isStockRefusal = (result: AllocateResult): result is StockRefusal => result.status === 'rejected' && result.reason === OUT_OF_STOCK;

/**
 * - `timeout`: no answer. The call ran out of time, or the connection broke after the request was
 *   sent: the warehouse may or may not have applied it.
 * - `fault`: the warehouse answered with a SOAP Fault (or refused the request at the HTTP level, or
 *   answered something this client cannot read).
 * - `unavailable`: the warehouse could not be reached (connection refused) or answered HTTP 5xx
 *   without a SOAP body (down, starting, behind a failed proxy).
 */
export type WmsErrorKind = 'timeout' | 'fault' | 'unavailable';

export class WmsError extends Error {
  override readonly name = 'WmsError';

  constructor(
    readonly kind: WmsErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The warehouse as the saga sees it. Every operation is idempotent by reservationId: retry freely. */
export interface WmsClient {
  /** `location`: the site to take from; absent, the warehouse's default one. A stock refusal is `isStockRefusal`. */
  allocate(reservationId: string, sku: string, qty: number, timeoutMs: number, location?: string): Promise<AllocateResult>;
  cancel(reservationId: string, timeoutMs: number): Promise<{ status: 'cancelled' }>;
  get(reservationId: string, timeoutMs: number): Promise<WmsRecord | null>;
  /** Every record, cancelled and rejected ones too: read page by page, all within `timeoutMs`. */
  list(timeoutMs: number): Promise<WmsRecord[]>;
  /** Physical, allocated and shipped units per (location, SKU) touched; `location` narrows to one site. */
  stockLevels(timeoutMs: number, location?: string): Promise<StockLevel[]>;
  /** At most `limit` movements with a sequence after `after` (0: from the start), in order, and the cursor for the next page. */
  movements(after: number, limit: number, timeoutMs: number): Promise<MovementsPage>;
}

const WSDL_TIMEOUT_MS = 10_000;
/**
 * The largest SOAP reply (or WSDL) read: a broken or hostile endpoint streaming without end costs
 * the bridge at most this much heap. Lists come in pages well below it.
 */
export const MAX_SOAP_REPLY_BYTES = 1024 * 1024;
/**
 * Allocations asked per `ListAllocations` page: at the longest ids and SKUs (every character
 * escaped) a record is under 1 KB, so a page stays under half of MAX_SOAP_REPLY_BYTES.
 */
export const ALLOCATIONS_PAGE = 500;
/** The request never reached the warehouse: nothing can have been applied. */
const UNREACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Reads the WSDL once, from `${soapUrl}?wsdl`; calls then go to `soapUrl` whatever address the
 * WSDL names. While the warehouse is down this throws WmsError 'unavailable': retrying is the caller's job.
 */
export async function createWmsClient(soapUrl: string): Promise<WmsClient> {
  let client: soap.Client;
  try {
    // No process-wide WSDL cache: it would hide an outage here and keep serving a stale contract.
    client = await soap.createClientAsync(`${soapUrl}?wsdl`, { disableCache: true, wsdl_options: { timeout: WSDL_TIMEOUT_MS, maxContentLength: MAX_SOAP_REPLY_BYTES } }, soapUrl);
  } catch (error) {
    throw new WmsError('unavailable', `no WSDL from ${soapUrl}?wsdl: ${messageOf(error)}`, { cause: error });
  }

  async function call<T>(operation: Operation, args: object, timeoutMs: number, reply: z.ZodType<T>): Promise<T> {
    let result: unknown;
    try {
      // `timeout` reaches axios, which aborts the HTTP request when it runs out: a wall-clock
      // limit until the answer starts, then an idle limit while it arrives.
      // soap builds the operations' methods from the WSDL at run time: untyped by nature.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call
      [result] = await client[`${operation}Async`](args, { timeout: timeoutMs, maxContentLength: MAX_SOAP_REPLY_BYTES });
    } catch (error) {
      throw toWmsError(operation, error, timeoutMs);
    }
    const parsed = reply.safeParse(result);
    if (parsed.success) return parsed.data;
    throw new WmsError('fault', `${operation}: unexpected reply: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }

  /** Pages until a reply has no `next`, under one deadline, so every caller of the port reads a warehouse of any size. */
  async function list(timeoutMs: number): Promise<WmsRecord[]> {
    const deadline = Date.now() + timeoutMs;
    const records: WmsRecord[] = [];
    const seen = new Set<string>();
    const late = (cause?: WmsError) =>
      new WmsError('timeout', `ListAllocations: not every page within ${timeoutMs} ms (${records.length} records read)${cause ? `: ${cause.message}` : ''}`, { cause });
    for (let after: string | null = null; ; ) {
      const left = deadline - Date.now();
      if (left <= 0) throw late();
      const args = { ...(after === null ? {} : { after }), limit: ALLOCATIONS_PAGE };
      const page: AllocationsPage = await call('ListAllocations', args, left, AllocationsPageSchema).catch((error: unknown) => {
        throw error instanceof WmsError && error.kind === 'timeout' ? late(error) : error;
      });
      records.push(...page.allocation);
      if (page.next === null) return records;
      // A warehouse that sends a caller round in circles would hold it until the deadline, growing.
      if (seen.has(page.next)) throw new WmsError('fault', `ListAllocations: next ${page.next} answered twice; the pages go round in a circle`);
      seen.add(page.next);
      after = page.next;
    }
  }

  return {
    allocate: (reservationId, sku, qty, timeoutMs, location) =>
      call('AllocateStock', { reservationId, sku, qty, ...(location === undefined ? {} : { location }) }, timeoutMs, AllocateReplySchema),
    cancel: (reservationId, timeoutMs) => call('CancelAllocation', { reservationId }, timeoutMs, CancelReplySchema),
    get: (reservationId, timeoutMs) => call('GetAllocation', { reservationId }, timeoutMs, GetReplySchema),
    list,
    stockLevels: (timeoutMs, location) => call('GetStockLevels', location === undefined ? {} : { location }, timeoutMs, StockLevelsReplySchema),
    movements: (after, limit, timeoutMs) => call('ListMovements', { after, limit }, timeoutMs, MovementsReplySchema),
  };
}

/** What `soap` (over axios) throws: a parsed Fault in `root`, the HTTP response, or a socket error code. */
type SoapCallError = { code?: string; response?: { status?: number }; root?: { Envelope?: { Body?: { Fault?: { faultstring?: unknown } } } } };

function toWmsError(operation: Operation, error: unknown, timeoutMs: number): WmsError {
  const { code, response, root } = (error ?? {}) as SoapCallError;
  const fault = root?.Envelope?.Body?.Fault;
  const status = response?.status;
  // axios's words for a reply past maxContentLength; the warehouse may have applied the call.
  if (/maxContentLength size of \d+ exceeded/.test(messageOf(error))) {
    return new WmsError('fault', `${operation}: reply larger than ${MAX_SOAP_REPLY_BYTES} bytes, refused unread; it may or may not have been applied`, { cause: error });
  }
  if (fault) return new WmsError('fault', `${operation}: SOAP fault: ${String(fault.faultstring)}`, { cause: error });
  if (code === 'ECONNABORTED') {
    return new WmsError('timeout', `${operation}: no answer within ${timeoutMs} ms; it may or may not have been applied`, { cause: error });
  }
  if (status !== undefined && status >= 500) return new WmsError('unavailable', `${operation}: HTTP ${status} without a SOAP fault`, { cause: error });
  if (status !== undefined) return new WmsError('fault', `${operation}: HTTP ${status} without a SOAP reply`, { cause: error });
  if (code && UNREACHED.has(code)) return new WmsError('unavailable', `${operation}: warehouse unreachable (${code})`, { cause: error });
  return new WmsError('timeout', `${operation}: no answer (${code ?? messageOf(error)}); it may or may not have been applied`, { cause: error });
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
