import type { FailoverPolicy, Outage, Regions } from './params';

/**
 * Four regions, named as Durable Object location hints: shard k in region k mod 4 (the product's
 * planned default layout). Round trips between them are public inter-region averages for the
 * nearest AWS regions (us-east-1, us-west-1, eu-west-1, ap-northeast-1), rounded: the published
 * matrix behind "Latency Between AWS Global Regions" (2017). Cloudflare publishes none for its
 * own backbone; an edge in a region reaching an object in the same region stays at 1–5 ms.
 */
export const REGIONS: Regions = {
  names: ['enam', 'wnam', 'weur', 'apac'],
  mix: [0.35, 0.2, 0.3, 0.15],
  rttMs: [
    [0, 73, 81, 145],
    [73, 0, 153, 103],
    [81, 153, 0, 212],
    [145, 103, 212, 0],
  ],
  source: 'AWS inter-region averages (us-east-1, us-west-1, eu-west-1, ap-northeast-1), as tabulated from "Latency Between AWS Global Regions" (acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html), rounded',
};

/** The edge's failover as issue 25 plans it: a 250 ms connect bound, breakers probed in the background every second. */
export const FAILOVER: FailoverPolicy = { connectBoundMs: 250, probeEveryMs: 1000, homing: 'customer' };

/** One of four regions (enam, where most buyers are) lost at the arrival curve's peak, back 30 s later. */
export const PEAK_OUTAGE: Outage = { atMs: 1000, durationMs: 30_000, location: 0 };
/** The same loss mid-sell-out, while shards still hold units (the lost region's must be sold after it returns). */
export const SELL_OUT_OUTAGE: Outage = { atMs: 300, durationMs: 30_000, location: 0 };

const pairs = (r: Regions) => r.names.flatMap((a, i) => r.names.slice(i + 1).map((b, j) => `${a}–${b} ${r.rttMs[i]![i + 1 + j]}`));

/** The region study's inputs, printed like the others (input, value, source). */
export const REGION_ASSUMPTIONS: readonly { input: string; value: string; source: string }[] = [
  { input: 'regions and shard placement', value: `${REGIONS.names.join(', ')}; shard k in region k mod ${REGIONS.names.length}`, source: 'issue 25: the product\'s planned default layout (Durable Object location hints)' },
  { input: 'buyers by edge region', value: REGIONS.names.map((n, i) => `${n} ${Math.round(REGIONS.mix[i]! * 100)}%`).join(', '), source: 'assumed: a storefront selling mostly in North America and Europe' },
  { input: 'round trip between regions (ms)', value: pairs(REGIONS).join(', '), source: REGIONS.source },
  { input: 'round trip within a region', value: '1–5 ms uniform (edge → object, object → object), added to the above between regions', source: 'as the one-region model (assumed)' },
  {
    input: 'edge failover',
    value: `connect bound ${FAILOVER.connectBoundMs} ms, then the isolate's breaker for that shard opens and the reserve goes at once to the next shard outside the lost one's region, in an order fixed by the customer's hash; open breakers probed in the background every ${FAILOVER.probeEveryMs / 1000} s; a call lost mid-flight is noticed after 1 s, then re-homed; completes are not re-homed (503, Retry-After)`,
    source: 'issue 25 (200–300 ms connect bound, breaker per shard, deterministic re-home); breakers per isolate, 16 isolates per region as the sold-out memory',
  },
  { input: 'shards and their siblings during failover', value: 'a shard skips siblings its breaker holds dead (probed every second) and refuses from the stock it can reach; a returning shard announces itself (undrain) before its units become sellable', source: 'docs/architecture.md regions and failover (the lost region\'s units unsellable until it returns, then sold)' },
  { input: 'regional outage', value: `region ${REGIONS.names[PEAK_OUTAGE.location]} (1 of 4, 25% of shards) lost at t = ${PEAK_OUTAGE.atMs / 1000} s (the arrival peak) for ${PEAK_OUTAGE.durationMs / 1000} s; also at ${SELL_OUT_OUTAGE.atMs / 1000} s (mid-sell-out)`, source: 'issue 25; 30 s is the earlier outage table\'s figure (Cloudflare documents no failover time)' },
  { input: 'honest availability', value: 'a reserve attempt is available when its final answer is definitive (201, insufficient_stock, customer_limit, or refused at the edge) within 2 s of its first request, retries included; 503s, timeouts, giving up count against; windows by the attempt\'s first request', source: 'src/contract/availability.ts (issue 25)' },
];
