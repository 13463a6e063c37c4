import { z } from 'zod';
import { parseSecrets, signatureHeaders } from '../../src/contract/signature';
import { MovementKindSchema, WarehouseDocumentSchema, WarehouseIdSchema } from '../../src/domain/sku/events';
import { LocationIdSchema } from '../../src/domain/sku/locations';
import { EdgeAnswerError } from '../edge/client';

/**
 * `POST /internal/skus/{sku}/movements` as the feed contract (issue 22) defines it. TO RECONCILE:
 * the edge's own `MovementCommandSchema` / `MovementResultSchema` (src/contract/movements.ts) and
 * `EdgeClient.movement` replace this file once the edge side is merged; the follower only needs
 * the `FeedEdge` shape below, which `EdgeClient` then satisfies.
 */
export const MovementCommandSchema = z.strictObject({
  warehouse: WarehouseIdSchema,
  document: WarehouseDocumentSchema,
  sequence: z.int().min(1),
  movement: MovementKindSchema,
  location: LocationIdSchema,
  delta: z.int(),
  at: z.iso.datetime(),
});
export type MovementCommand = z.infer<typeof MovementCommandSchema>;

export const MovementResultSchema = z.object({
  sku: z.string(),
  version: z.int(),
  /** False: this location had counted this warehouse's sequence already (a redelivery). */
  applied: z.boolean(),
  location: z.object({ location: z.string(), onHand: z.int(), reserved: z.int(), sold: z.int(), available: z.int() }),
  shortfall: z
    .object({
      short: z.int(),
      unresolved: z.int(),
      resourced: z.array(z.object({ reservationId: z.string(), qty: z.int(), to: z.string() })),
      released: z.array(z.object({ reservationId: z.string(), qty: z.int() })),
    })
    .nullable(),
});
export type MovementResult = z.infer<typeof MovementResultSchema>;

/** What the follower needs of the edge: one movement applied to one SKU, idempotent by warehouse sequence. */
export type FeedEdge = { movement(sku: string, body: MovementCommand): Promise<MovementResult> };

const TIMEOUT_MS = 10_000;

/** The signed call, as `bridge/edge/client.ts` makes its others: an EdgeAnswerError for an error status. */
export function createMovementClient(baseUrl: string, secret: string, timeoutMs = TIMEOUT_MS): FeedEdge {
  const [signing] = parseSecrets(secret);
  if (!signing) throw new Error('the edge client needs INTERNAL_SECRET');
  return {
    async movement(sku, command) {
      const url = new URL(`/internal/skus/${encodeURIComponent(sku)}/movements`, baseUrl);
      const body = JSON.stringify(command);
      const headers = await signatureHeaders(signing, { method: 'POST', path: url.pathname, body }, Date.now());
      const response = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
      const text = await response.text();
      if (!response.ok) {
        let code: string | null = null;
        try {
          const error = (JSON.parse(text) as { error?: { code?: unknown } }).error;
          code = typeof error?.code === 'string' ? error.code : null;
        } catch {
          // Not the edge's error shape: the status says enough.
        }
        throw new EdgeAnswerError(`edge answered ${response.status} to POST ${url.pathname}: ${text.slice(0, 300)}`, response.status, code);
      }
      return MovementResultSchema.parse(JSON.parse(text));
    },
  };
}
