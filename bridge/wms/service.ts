import * as soap from 'soap';
import { z } from 'zod';
import { QtySchema, SkuIdSchema } from '../../src/domain/sku/limits';
import type { Logger } from '../logger';
import { allocateReply, allocationElement } from './replies';
import type { WmsStore } from './store';
import { WMS_PATH, type Operation } from './wsdl';

const ReservationIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'reservationId must be 1-128 printable ASCII characters without spaces');
const ReservationSchema = z.object({ reservationId: ReservationIdSchema });
const AllocateSchema = z.object({ reservationId: ReservationIdSchema, sku: SkuIdSchema, qty: z.coerce.number().pipe(QtySchema) });

/** What `soap` turns into a SOAP 1.1 Fault; it would answer HTTP 200 without the statusCode. */
const fault = (code: 'Client' | 'Server', message: string) => ({ Fault: { faultcode: `soap:${code}`, faultstring: message, statusCode: 500 } });

/**
 * The SOAP operations over the store, as a `soap` server without an HTTP server of its own: the
 * simulator's endpoint filters each request, then hands the body to `processRequest`.
 */
export function createSoapService(store: WmsStore, wsdl: string, logger: Logger): Promise<soap.Server> {
  function operation<T>(name: Operation, schema: z.ZodType<T>, run: (args: T) => Promise<object>) {
    return async (args: unknown) => {
      const parsed = schema.safeParse(args);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`);
        // The soap package answers a thrown `{ Fault }` object as a SOAP fault: it must not be an Error.
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw fault('Client', `invalid ${name}: ${issues.join('; ')}`);
      }
      try {
        return await run(parsed.data);
      } catch (error) {
        logger.error({ err: error, operation: name }, 'operation failed');
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw fault('Server', `${name} failed in the warehouse; it may not have been applied`);
      }
    };
  }

  const port = {
    AllocateStock: operation('AllocateStock', AllocateSchema, async (args) => allocateReply(await store.allocate(args))),
    CancelAllocation: operation('CancelAllocation', ReservationSchema, async ({ reservationId }) => {
      await store.cancel(reservationId);
      return { status: 'cancelled' };
    }),
    GetAllocation: operation('GetAllocation', ReservationSchema, async ({ reservationId }) => {
      const record = await store.get(reservationId);
      return record ? { found: true, allocation: allocationElement(record) } : { found: false };
    }),
    // An empty request element arrives as null: there is nothing to check.
    ListAllocations: operation('ListAllocations', z.unknown(), async () => ({ allocation: (await store.list()).map(allocationElement) })),
  } satisfies Record<Operation, unknown>;

  return new Promise((resolve, reject) => {
    soap.listen(null, {
      path: WMS_PATH,
      services: { WmsService: { WmsPort: port } },
      xml: wsdl,
      // Nothing of the simulator's code or paths in a fault.
      suppressStack: true,
      callback: (error: Error | null, server: soap.Server) => (error ? reject(error) : resolve(server)),
    });
  });
}
