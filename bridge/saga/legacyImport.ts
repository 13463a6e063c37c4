import { AllocationSagaSchema } from '../../src/domain/allocation';
import type { ConsumedRecord, EventLog, PartitionOwner } from '../eventLog/port';
import { homePartition } from '../eventLog/partitioner';
import { EVENTS_TOPIC, LEGACY_SAGAS_TOPIC, SAGAS_TOPIC } from '../eventLog/topics';

/** Written with a partition's first state: its legacy sagas were imported (or there were none). */
const IMPORTED_KEY = 'imported:legacy';

/** The SKU a legacy record belongs to: a cursor names it, a saga carries it. */
function skuOf(record: ConsumedRecord): string | null {
  if (record.key.startsWith('cursor:')) return record.key.slice('cursor:'.length);
  if (record.key.startsWith('saga:')) return AllocationSagaSchema.shape.sku.parse((JSON.parse(record.value) as { sku: unknown }).sku);
  return null;
}

/**
 * The first time a partition is owned, the sagas and cursors a bridge from before the group left
 * in `inventory.sagas` for the SKUs of that partition are copied into it, with a marker, in one
 * transaction of its owner (docs/adr/0001-bridge-as-a-group.md): an upgrade keeps every saga in
 * flight and every cursor, so no reservation is allocated again or left without its saga. The
 * legacy topic is only read, so nothing of it can come back later.
 */
export async function withLegacySagas(log: EventLog, owner: PartitionOwner, restored: readonly ConsumedRecord[]): Promise<ConsumedRecord[]> {
  if (restored.some((r) => r.key === IMPORTED_KEY)) return [...restored];
  let imported: ConsumedRecord[] = [];
  if (await log.hasTopic(LEGACY_SAGAS_TOPIC)) {
    const partitions = (await log.endOffsets(EVENTS_TOPIC)).size;
    const kept = new Set(restored.map((r) => r.key));
    imported = (await log.readAll(LEGACY_SAGAS_TOPIC)).filter((r) => {
      const sku = skuOf(r);
      return sku !== null && !kept.has(r.key) && homePartition(sku, partitions) === owner.partition;
    });
  }
  const marker = { topic: SAGAS_TOPIC, key: IMPORTED_KEY, value: JSON.stringify({ records: imported.length }) };
  await owner.commit([...imported.map((r) => ({ topic: SAGAS_TOPIC, key: r.key, value: r.value })), marker]);
  return [...restored, ...imported.map((r) => ({ ...r, topic: SAGAS_TOPIC, partition: owner.partition }))];
}
