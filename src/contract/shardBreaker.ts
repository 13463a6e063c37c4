/**
 * Which shards this isolate found unreachable lately (ADR 0022): a call that failed or did not
 * answer within the failover bound opens the shard's breaker, and its buyers go straight to a
 * sibling in another region until `BREAKER_OPEN_MS` passed; then one call tries the home again
 * (half-open) and either closes the breaker or opens it anew. Memory only, per isolate: an isolate
 * that restarts pays one failed call per lost shard to learn it again.
 */
export const BREAKER_OPEN_MS = 5_000;
const MAX_TRACKED = 10_000;

const openUntil = new Map<string, number>();
/**
 * Streams whose half-open probe is in flight, and since when: the other buyers keep going to
 * siblings meanwhile. A probe whose request was cancelled never reports; after this lease another
 * caller probes.
 */
const probing = new Map<string, number>();
const PROBE_LEASE_MS = 10_000;

/** Whether a call to `stream` should be skipped now; true for all but one caller once the open time has passed (the probe). */
export function skipShard(stream: string, now: number): boolean {
  const until = openUntil.get(stream);
  if (until === undefined) return false;
  if (until > now || (probing.get(stream) ?? Number.NEGATIVE_INFINITY) > now - PROBE_LEASE_MS) return true;
  probing.set(stream, now);
  return false;
}

/** Whether the breaker of `stream` is open now (its units are unsellable from here until it answers). */
export const isOpen = (stream: string, now: number): boolean => (openUntil.get(stream) ?? 0) > now;

export function tripShard(stream: string, now: number): void {
  probing.delete(stream);
  if (openUntil.size >= MAX_TRACKED && !openUntil.has(stream)) openUntil.delete(openUntil.keys().next().value!);
  openUntil.set(stream, now + BREAKER_OPEN_MS);
}

export function shardAnswered(stream: string): void {
  probing.delete(stream);
  openUntil.delete(stream);
}

/** For tests: forget every breaker. */
export function resetBreakers(): void {
  openUntil.clear();
  probing.clear();
}
