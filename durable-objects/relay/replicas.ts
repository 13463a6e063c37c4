/**
 * The bridge replicas an object pushes its outbox to (`BRIDGE_URL`, one URL or a comma-separated
 * list), and in which order it tries them. Pure: the push itself is in push.ts. Why push-to-any
 * with failover in the object, and why two replicas receiving one SKU's batches is safe:
 * docs/adr/0004-relay-to-any-bridge-replica.md.
 */

export type BridgeUrls = { ok: true; urls: readonly string[] } | { ok: false; error: string };

const EXAMPLE = 'e.g. https://bridge-1.example.com,https://bridge-2.example.com';

/** Each entry an http(s) origin; everything wrong is named at once, with the entry's position. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|[a-z0-9-]+\.localhost)$/i;

export function parseBridgeUrls(value: string): BridgeUrls {
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  const urls: string[] = [];
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    const checked = checkEntry(entry);
    if (typeof checked !== 'string') problems.push(`entry ${i + 1} ${checked.problem}`);
    else if (urls.includes(checked)) problems.push(`entry ${i + 1} (${checked}) is listed twice`);
    else urls.push(checked);
  });
  if (problems.length > 0) return { ok: false, error: `BRIDGE_URL is invalid: ${problems.join('; ')}. Give the bridge replicas' http(s) origins, comma-separated (${EXAMPLE})` };
  return { ok: true, urls };
}

/** The entry's origin, or what is wrong with it (never echoing credentials). */
function checkEntry(entry: string): string | { problem: string } {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return { problem: `("${entry}") is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `("${entry}") is not an http(s) URL` };
  if (url.username || url.password) return { problem: 'carries a user name or password; pushes are signed with INTERNAL_SECRET instead' };
  // Issue 26: events and their acknowledgements cross the internet encrypted; plain http only to this machine (local runs).
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) return { problem: `("${entry}") is plain http to another machine; use https (http is for localhost only)` };
  // The ingest paths are absolute: a path, query or fragment here would be silently dropped.
  if (url.pathname !== '/' || url.search || url.hash) return { problem: `("${entry}") has a path, query or fragment; give the origin only (${url.origin})` };
  return url.origin;
}

/** FNV-1a, 32 bits: cheap, stable across runs and isolates, and spreads hex object ids evenly. */
function fnv1a(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** Where an object starts before any replica acknowledged it: spread by its id, so load spreads too. */
export const startingReplica = (key: string, count: number): number => fnv1a(key) % count;

/** Every replica once, from `first` on, wrapping around. */
export const failoverOrder = (first: number, count: number): number[] => Array.from({ length: count }, (_, i) => (first + i) % count);

/**
 * An answer that says "this replica cannot take pushes now" (a 5xx: its log is unreachable, it is
 * overloaded or failing; 408, 429), so the next may. Any other 4xx says the push itself is
 * refused (a bad signature, a malformed or too large batch): every replica would say the same.
 */
export const replicaUnavailable = (status: number): boolean => status >= 500 || status === 408 || status === 429;

/** One push run, all replicas together, stays within this: an alarm run cannot hang on dead replicas. */
export const PUSH_BUDGET_MS = 10_000;
/** The most one replica gets while others remain: a hung host does not eat the whole budget. */
export const FAILOVER_ATTEMPT_MS = 4_000;
/** Below this, an attempt could not finish a healthy append either: the run stops and backs off. */
export const MIN_ATTEMPT_MS = 500;

/** The timeout of the next attempt given the time the run has used, or null when none is left. */
export function attemptTimeoutMs(elapsedMs: number, othersLeft: boolean): number | null {
  const remaining = PUSH_BUDGET_MS - elapsedMs;
  if (remaining < MIN_ATTEMPT_MS) return null;
  return othersLeft ? Math.min(remaining, FAILOVER_ATTEMPT_MS) : remaining;
}

/**
 * One object's view of the replicas: it starts at the one its id hashes to and then stays with the
 * last that acknowledged, in memory only (a new instance starts over from the hash).
 */
export class ReplicaChoice {
  #preferred: number;

  constructor(
    readonly urls: readonly string[],
    key: string,
  ) {
    this.#preferred = startingReplica(key, urls.length);
  }

  order(): number[] {
    return failoverOrder(this.#preferred, this.urls.length);
  }

  acknowledged(index: number): void {
    this.#preferred = index;
  }
}
