import type { Outcome } from '../../contract/outcome';
import type { SkuEvent } from '../../domain/sku';
import type { Env } from '../../env';

export type EventPage = { sku: string; events: SkuEvent[]; lastVersion: number; nextAfter: number | null };

/** One page of a SKU's log, telling where the next page starts (admins and the bridge's gap repair). */
export async function eventPage(env: Env, sku: string, after: number, limit: number): Promise<Outcome<EventPage>> {
  const outcome = await env.SKU.getByName(sku).events(sku, after, limit);
  if (!outcome.ok) return outcome;
  const { events, lastVersion } = outcome.value;
  const last = events.at(-1)?.version ?? after;
  return { ok: true, value: { sku, events, lastVersion, nextAfter: last < lastVersion ? last : null } };
}
