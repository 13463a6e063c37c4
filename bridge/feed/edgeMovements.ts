import type { EdgeClient } from '../edge/client';

export { MovementCommandSchema, MovementResultSchema, type MovementCommand, type MovementResult } from '../../src/contract/movements';

/**
 * What the follower needs of the edge: one movement applied to one SKU, idempotent by the
 * warehouse's sequence per location (`POST /internal/skus/{sku}/movements`); the edge client is one.
 */
export type FeedEdge = Pick<EdgeClient, 'movement'>;
