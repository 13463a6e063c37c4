import { EventPageSchema } from '../../src/api/schemas';
import type { SkuEvent } from '../../src/domain/sku';
import { parseSecrets, signatureHeaders } from '../../src/internal/signature';

export type EdgeClient = {
  /** The SKU's events with after < version < before, in order, from its Durable Object. */
  eventsBetween(sku: string, after: number, before: number): Promise<SkuEvent[]>;
};

const PAGE = 1000;
const TIMEOUT_MS = 10_000;

/** Signed calls to the Worker's internal routes: the bridge's way back to the source of truth. */
export function createEdgeClient(baseUrl: string, secret: string): EdgeClient {
  const [signing] = parseSecrets(secret);
  if (!signing) throw new Error('the edge client needs INTERNAL_SECRET');

  async function page(sku: string, after: number, limit: number) {
    const url = new URL(`/internal/skus/${encodeURIComponent(sku)}/events?after=${after}&limit=${limit}`, baseUrl);
    const headers = await signatureHeaders(signing!, { method: 'GET', path: url.pathname + url.search, body: '' }, Date.now());
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) throw new Error(`edge answered ${response.status} for ${sku} after ${after}: ${(await response.text()).slice(0, 200)}`);
    return EventPageSchema.parse(await response.json());
  }

  return {
    async eventsBetween(sku, after, before) {
      const events: SkuEvent[] = [];
      for (let cursor = after; cursor < before - 1; ) {
        const { events: got } = await page(sku, cursor, Math.min(PAGE, before - 1 - cursor));
        if (got.length === 0) throw new Error(`edge has no events of ${sku} after ${cursor}, below ${before}`);
        events.push(...got.filter((e) => e.version < before));
        cursor = got[got.length - 1]!.version;
      }
      return events;
    },
  };
}
