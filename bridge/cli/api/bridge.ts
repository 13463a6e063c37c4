import { z } from 'zod';
import { AllocationSagaSchema, SAGA_PHASES, type SagaPhase } from '../../../src/domain/allocation';
import { call, exchange, type Service } from '../http';

const LogHealthSchema = z.object({ ok: z.boolean(), adapter: z.string(), detail: z.string() });
const ReachabilitySchema = z.object({ ok: z.boolean(), detail: z.string() });

export const BridgeHealthSchema = z.object({ status: z.string(), log: LogHealthSchema });
const BridgeStatusSchema = z.object({
  log: LogHealthSchema,
  wms: ReachabilitySchema,
  /** Null when the bridge runs without the saga (`SAGA=off`). */
  sagas: z.record(z.enum(SAGA_PHASES), z.int()).nullable(),
});
export type BridgeStatus = z.infer<typeof BridgeStatusSchema>;

const SagaListSchema = z.object({ total: z.int(), sagas: z.array(AllocationSagaSchema) });
const SkuListSchema = z.object({ skus: z.array(z.object({ sku: z.string(), sagas: z.int() })) });
const DeadLetterSchema = z.object({
  partition: z.int(),
  offset: z.string(),
  key: z.string(),
  value: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  timestamp: z.number(),
});
const DeadLettersSchema = z.object({ total: z.int(), records: z.array(DeadLetterSchema) });
const RequeuedSchema = z.object({ requeued: z.int() });

type SagaQuery = { phase?: SagaPhase; sku?: string; limit?: number };

const id = (reservationId: string) => encodeURIComponent(reservationId);

/** The bridge's operator API (`bridge/http/admin.ts`), reached with `--bridge-url`. */
export function bridgeApi(service: Service) {
  return {
    /** The raw answer: a 503 here still carries the log's health, which `status` shows. */
    health: () => exchange(service, 'GET', '/healthz'),
    status: () => call(service, 'GET', '/admin/status', BridgeStatusSchema),
    sagas(query: SagaQuery) {
      const search = new URLSearchParams(Object.entries(query).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]])));
      return call(service, 'GET', `/admin/sagas?${search}`, SagaListSchema);
    },
    saga: (reservationId: string) => call(service, 'GET', `/admin/sagas/${id(reservationId)}`, AllocationSagaSchema),
    retry: (reservationId: string) => call(service, 'POST', `/admin/sagas/${id(reservationId)}/retry`, AllocationSagaSchema),
    skus: () => call(service, 'GET', '/admin/skus', SkuListSchema),
    deadLetters: () => call(service, 'GET', '/admin/dlq', DeadLettersSchema),
    requeue: (offsets: readonly string[] | undefined) =>
      call(service, 'POST', '/admin/dlq/requeue', RequeuedSchema, offsets ? { offsets } : {}),
  };
}
export type BridgeApi = ReturnType<typeof bridgeApi>;
