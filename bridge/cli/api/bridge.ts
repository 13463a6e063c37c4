import { z } from 'zod';
import { ArchiveReportSchema, SnapshotsTakenSchema } from '../../archive/wire';
import { GenerationsSchema } from '../../../src/contract/schemas';
import { RebuildStatusSchema, SnapshotLagSchema, type RebuildRequest } from '../../projections/rebuildStatus';
import { AllocationSagaSchema, SAGA_PHASES, type SagaPhase } from '../../../src/domain/allocation';
import { WarehousesReportSchema } from '../../feed/status';
import { anonymous, call, exchange, type Service } from '../http';

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
const DlqCursorSchema = z.object({ partition: z.int(), from: z.string() });
const DeadLettersSchema = z.object({ total: z.int(), partition: z.int(), from: z.string(), records: z.array(DeadLetterSchema), next: DlqCursorSchema.nullable() });
export type DlqPage = z.infer<typeof DeadLettersSchema>;
type DlqQuery = { partition?: number; from?: string; limit?: number };
const RequeuedSchema = z.object({ requeued: z.int() });

export { REBUILD_SOURCES, type RebuildRequest, type RebuildSource, type RebuildStatus } from '../../projections/rebuildStatus';
export type Generations = z.infer<typeof GenerationsSchema>;

/** The generations and the last (or current) rebuild, null before the first one. */
const ProjectionsSchema = z.object({ generations: GenerationsSchema, snapshots: SnapshotLagSchema, rebuild: RebuildStatusSchema.nullable() });
export type Projections = z.infer<typeof ProjectionsSchema>;


/** The saga group (`GET /admin/group`): each replica's advertised admin endpoint, the partitions it owns, its sagas by phase. */
const GroupMemberSchema = z.object({
  endpoint: z.string(),
  partitions: z.array(z.int()),
  self: z.boolean(),
  /** Null when that replica could not be asked, or runs without the saga. */
  sagas: z.record(z.enum(SAGA_PHASES), z.int()).nullable(),
});
const GroupSchema = z.object({
  /** The replica asked (its advertised endpoint); null before it listens. */
  self: z.string().nullable(),
  /** The partitions whose sagas the replica asked holds now. */
  partitions: z.array(z.int()),
  /** Empty while the group rebalances, or when the bridge runs without the saga. */
  members: z.array(GroupMemberSchema),
});
export type BridgeGroup = z.infer<typeof GroupSchema>;

type SagaQuery = { phase?: SagaPhase; sku?: string; limit?: number };

const id = (reservationId: string) => encodeURIComponent(reservationId);
const searchOf = (query: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(query).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]]))).toString();

/** The bridge's operator API (`bridge/http/admin.ts`), reached at its admin listener (`--bridge-admin-url`). */
export function bridgeApi(service: Service) {
  return {
    /** The raw answer: a 503 here still carries the log's health, which `status` shows. */
    health: () => exchange(anonymous(service), 'GET', '/healthz'),
    status: () => call(service, 'GET', '/admin/status', BridgeStatusSchema),
    sagas: (query: SagaQuery) => call(service, 'GET', `/admin/sagas?${searchOf(query)}`, SagaListSchema),
    saga: (reservationId: string) => call(service, 'GET', `/admin/sagas/${id(reservationId)}`, AllocationSagaSchema),
    retry: (reservationId: string) => call(service, 'POST', `/admin/sagas/${id(reservationId)}/retry`, AllocationSagaSchema),
    skus: () => call(service, 'GET', '/admin/skus', SkuListSchema),
    group: () => call(service, 'GET', '/admin/group', GroupSchema),
    /** Every configured warehouse: a probe, the feed's cursor and lag, who follows it (any replica answers for all). */
    warehouses: () => call(service, 'GET', '/admin/warehouses', WarehousesReportSchema),
    /** One page of one partition; `next` says where the following page starts, null at the end. */
    deadLetters: (query: DlqQuery = {}) => call(service, 'GET', `/admin/dlq?${searchOf(query)}`, DeadLettersSchema),
    requeue: (offsets: readonly string[] | undefined) =>
      call(service, 'POST', '/admin/dlq/requeue', RequeuedSchema, offsets ? { offsets } : {}),
    projections: () => call(service, 'GET', '/admin/projections', ProjectionsSchema),
    /** 202 with the new rebuild; a CallFailed with code `rebuild_running` (409) while another one runs. */
    rebuild: (request: RebuildRequest) => call(service, 'POST', '/admin/projections/rebuild', RebuildStatusSchema, request),
    archive: () => call(service, 'GET', '/admin/archive', ArchiveReportSchema),
    /** Every archiver replica snapshots the partitions it owns; `unreachable` names those that could not be asked. */
    snapshot: () => call(service, 'POST', '/admin/archive/snapshots', SnapshotsTakenSchema, {}),
  };
}
export type BridgeApi = ReturnType<typeof bridgeApi>;
