import type { Http2Bindings, HttpBindings } from '@hono/node-server';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logger';
import { FaultInjector } from '../../simulators/faults';
import { NO_SAP_FAULTS, SapFaultsSchema, type SapFaults, type SapFaultsPatch, type SapOperation } from './faultKnobs';
import { SERVICE_ROOT } from './edmx';
import { RESERVATION_SERVICE, STOCK_SERVICE } from './model';
import { errorBody } from './odataJson';

export { NO_SAP_FAULTS, SAP_OPERATIONS, SapFaultsPatchSchema, SapFaultsSchema, type SapFaults, type SapFaultsPatch, type SapOperation } from './faultKnobs';

/** Seven draws per call: latency, timeout, fault, late, duplicate, throttle, lost. */
export function sapFaultInjector(initial: SapFaultsPatch, random?: () => number) {
  return new FaultInjector<SapFaults>(SapFaultsSchema, { ...NO_SAP_FAULTS, ...initial }, random);
}

/** The operation a request to a service is, or undefined outside the services. */
export function operationOf(method: string, path: string): SapOperation | undefined {
  const [service, ...rest] = path.startsWith(`${SERVICE_ROOT}/`) ? path.slice(SERVICE_ROOT.length + 1).split('/') : [];
  if (!service) return undefined;
  const resource = rest.join('/');
  if (resource === '' || resource === '$metadata') return 'metadata';
  if (service === RESERVATION_SERVICE) return method === 'POST' ? 'createReservation' : method === 'DELETE' ? 'deleteReservation' : 'readReservations';
  return service === STOCK_SERVICE ? 'readStock' : 'readMaterialDocuments';
}

type Bindings = HttpBindings | Http2Bindings;
type Fetch = (request: Request, env: Bindings) => Response | Promise<Response>;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/**
 * Puts the fault plan in front of the services: an outage answers 503 to everything; otherwise a
 * call may be held unanswered, answered 500 or 429 at once, delayed, applied twice, or applied
 * with its connection dropped before the answer. `signal` ends what is still waiting at close.
 */
export function withFaults(serve: Fetch, faults: FaultInjector<SapFaults>, logger: Logger, signal: AbortSignal) {
  return async (request: Request, env: Bindings): Promise<Response> => {
    const path = new URL(request.url).pathname;
    const operation = operationOf(request.method, path);
    if (!operation) return serve(request, env);
    if (faults.isOutage()) {
      const seconds = Math.ceil((faults.current.outageUntil - Date.now()) / 1000);
      return new Response('warehouse unavailable', { status: 503, headers: { 'content-type': 'text/plain', 'retry-after': String(seconds) } });
    }
    const plan = faults.plan(operation);
    if (plan.fate === 'apply' && plan.delayMs === 0 && plan.deliveries === 1) return serve(request, env);
    const log = logger.child({ operation, fate: plan.fate });
    if (plan.fate === 'timeout') {
      // Never answered: held until the caller gives up (its socket closes) or the simulator closes.
      log.info('OData call held without an answer');
      await new Promise<void>((resolve) => {
        env.outgoing.once('close', resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      env.outgoing.destroy();
      return new Response(null, { status: 504 });
    }
    await sleep(plan.delayMs, undefined, { signal });
    if (plan.fate === 'fault') {
      log.info('OData call answered with an injected fault');
      return json(500, errorBody('INJECTED_FAULT', 'Injected fault: the warehouse failed, nothing was applied', path));
    }
    if (plan.fate === 'throttle') {
      const retryAfter = faults.current.retryAfterSeconds;
      log.info({ retryAfter }, 'OData call throttled');
      return json(429, errorBody('TOO_MANY_REQUESTS', 'Too many requests: try again later, nothing was applied', path), { 'retry-after': String(retryAfter) });
    }
    // The body is read once and delivered twice, as two identical requests.
    const body = plan.deliveries === 2 && request.body ? await request.arrayBuffer() : undefined;
    const copy = () => new Request(request.url, { method: request.method, headers: request.headers, ...(body ? { body } : {}) });
    const copies = plan.deliveries === 2 ? [copy(), copy()] : [request];
    const replies = await Promise.all(copies.map(async (copy) => serve(copy, env)));
    const reply = replies.at(-1)!;
    log.info({ deliveries: replies.length, status: reply.status, delayMs: plan.delayMs }, 'OData call');
    if (plan.fate === 'lost') {
      // Applied; the answer never arrives.
      env.outgoing.destroy();
    }
    return reply;
  };
}
