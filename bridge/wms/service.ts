import * as soap from 'soap';
import { z } from 'zod';
import { QtySchema, SkuIdSchema } from '../../src/domain/sku/limits';
import type { Logger } from '../logger';
import { LocationSchema } from './movements';
import { allocateReply, allocationElement, movementElement } from './replies';
import type { WmsStore } from './store';
import { MAX_ALLOCATIONS_PAGE, WMS_PATH, type Operation } from './wsdl';

const ReservationIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'reservationId must be 1-128 printable ASCII characters without spaces');
const ReservationSchema = z.object({ reservationId: ReservationIdSchema });
const AllocateSchema = z.object({
  reservationId: ReservationIdSchema,
  sku: SkuIdSchema,
  qty: z.coerce.number().pipe(QtySchema),
  location: LocationSchema.optional(),
});
/** An empty request element arrives as null. */
const LevelsSchema = z
  .object({ location: LocationSchema.optional() })
  .nullable()
  .transform((r) => r?.location);
/** Both fields optional, so a caller from before pages gets the first page; an empty request element arrives as null. */
const AllocationsSchema = z
  .object({ after: ReservationIdSchema.optional(), limit: z.coerce.number().pipe(z.int().min(1).max(MAX_ALLOCATIONS_PAGE)).optional() })
  .nullable()
  .transform((r) => ({ after: r?.after, limit: r?.limit ?? MAX_ALLOCATIONS_PAGE }));
export const MAX_MOVEMENTS_PAGE = 1_000;
const MovementsSchema = z.object({
  after: z.coerce.number().pipe(z.int().min(0)),
  limit: z.coerce.number().pipe(z.int().min(1).max(MAX_MOVEMENTS_PAGE)),
});

/** What `soap` turns into a SOAP 1.1 Fault; it would answer HTTP 200 without the statusCode. */
const fault = (code: 'Client' | 'Server', message: string) => ({ Fault: { faultcode: `soap:${code}`, faultstring: message, statusCode: 500 } });

/** A request the warehouse understood and refuses as it stands. */
class ClientFault extends Error {}

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
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        if (error instanceof ClientFault) throw fault('Client', error.message);
        logger.error({ err: error, operation: name }, 'operation failed');
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw fault('Server', `${name} failed in the warehouse; it may not have been applied`);
      }
    };
  }

  const port = {
    AllocateStock: operation('AllocateStock', AllocateSchema, async (args) => {
      const record = await store.allocate(args);
      if (record !== 'unknown_location') return allocateReply(record);
      // A Client fault, not a rejection: nothing is recorded, and the same request will never succeed.
      throw new ClientFault(`invalid AllocateStock: unknown location ${args.location}`);
    }),
    CancelAllocation: operation('CancelAllocation', ReservationSchema, async ({ reservationId }) => {
      await store.cancel(reservationId);
      return { status: 'cancelled' };
    }),
    GetAllocation: operation('GetAllocation', ReservationSchema, async ({ reservationId }) => {
      const record = await store.get(reservationId);
      return record ? { found: true, allocation: allocationElement(record) } : { found: false };
    }),
    ListAllocations: operation('ListAllocations', AllocationsSchema, async ({ after, limit }) => {
      const page = await store.page(after, limit);
      // Not read as "from the start": that would hand a caller the records it already has a second time.
      if (page === 'unknown_cursor') throw new ClientFault(`invalid ListAllocations: after: no reservation ${after} in this warehouse; pass back a next it answered`);
      return { allocation: page.records.map(allocationElement), ...(page.next === undefined ? {} : { next: page.next }) };
    }),
    GetStockLevels: operation('GetStockLevels', LevelsSchema, async (location) => ({ level: await store.levels(location) })),
    ListMovements: operation('ListMovements', MovementsSchema, async ({ after, limit }) => {
      const { movements, next } = await store.movements(after, limit);
      return { movement: movements.map(movementElement), next };
    }),
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
