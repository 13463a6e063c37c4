import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LiveActivity } from './dashboard/activity';
import { WorstRelayLag } from './ingest/relayLag';

/** SKUs shown by `bridge_relay_lag_seconds`: the worst ones (see WorstRelayLag for why). */
export const RELAY_LAG_SKUS = 20;
/** The window `bridge_relay_lag_seconds` covers: longer than any usual scrape interval, so no lag falls between two scrapes. */
export const RELAY_LAG_WINDOW_MS = 60_000;

/**
 * One registry per bridge instance (tests run several in one process). Every label set is
 * bounded whatever the history (invariant bounded-by-live-work): SKUs only in the worst-N relay lag, consumer groups
 * without the random suffix of throw-away groups, everything else a small closed set.
 */
/** One SKU's hoarding signals (issue 26), from the edge's live view. */
export type HoardingRow = { sku: string; topHolderShare: number; expiredUnboughtRatio: number };

/** The signals of one SKU's stats: shares, 0 where nothing is on hand or nothing ended yet. */
export function hoardingRow(stats: { sku: string; counters: { onHand: number; sold: number }; hoarding?: { topHolders: { units: number }[]; expiredUnits: number } | undefined }): HoardingRow {
  const top = stats.hoarding?.topHolders[0]?.units ?? 0;
  const expired = stats.hoarding?.expiredUnits ?? 0;
  return {
    sku: stats.sku,
    topHolderShare: stats.counters.onHand > 0 ? top / stats.counters.onHand : 0,
    expiredUnboughtRatio: expired + stats.counters.sold > 0 ? expired / (expired + stats.counters.sold) : 0,
  };
}

export function createMetrics(now: () => number = Date.now) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const relayLag = new WorstRelayLag(RELAY_LAG_SKUS, RELAY_LAG_WINDOW_MS);
  /** Causal consumers report their held events when scraped, not on every event. */
  const causalSources = new Map<string, () => { held: number; oldestHeldSeconds: number | null }>();
  /** Read when scraped: the running sagas by phase, the records in the dead-letter topic. */
  const sources: {
    sagas: () => Record<string, number> | null;
    deadLetters: () => Promise<number>;
    feed: () => readonly FeedGaugeRow[];
    hoarding: () => Promise<readonly HoardingRow[]>;
    archive: () => { pendingEvents: number; oldestPendingAt: number | null } | null;
  } = {
    sagas: () => null,
    deadLetters: async () => 0,
    feed: () => [],
    hoarding: async () => [],
    archive: () => null,
  };
  const metrics = {
    causalSources,
    sources,
    /** The dashboard's live view: recently pushed SKUs and the worst lag of the last seconds. */
    activity: new LiveActivity(),
    registry,
    httpResponses: new Counter({
      name: 'bridge_http_responses_total',
      help: 'Answers of the bridge by route pattern and status (503: overloaded or the log unavailable)',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    sagas: new Gauge({
      name: 'bridge_sagas',
      help: 'WMS sagas held by this bridge, by phase (overdue: a completed purchase the WMS has not answered past the deadline, retried; stuck: waiting for an operator, see `sagas retry`)',
      labelNames: ['phase'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [phase, count] of Object.entries(sources.sagas() ?? {})) this.set({ phase }, count);
      },
    }),
    deadLetters: new Gauge({
      name: 'bridge_dead_letters',
      help: 'Records in the dead-letter topic (undecodable events; `dlq list`, `dlq requeue`)',
      registers: [registry],
      async collect() {
        this.set(await sources.deadLetters());
      },
    }),
    // Issue 26: asked of the edge when scraped, for the SKUs the bridge saw pushed lately (the dashboard's).
    hoarding: new Gauge({
      name: 'bridge_sku_hoarding',
      help: "Per recently active SKU: `top_holder_share`, the units the customer holding most holds now over the SKU's on hand; `expired_unbought_ratio`, units held then let expire unbought over those plus the units sold",
      labelNames: ['sku', 'signal'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of await sources.hoarding().catch(() => [])) {
          this.set({ sku: row.sku, signal: 'top_holder_share' }, row.topHolderShare);
          this.set({ sku: row.sku, signal: 'expired_unbought_ratio' }, row.expiredUnboughtRatio);
        }
      },
    }),
    // Issue 27: this replica's archiver, when on (ARCHIVE=on).
    archivePending: new Gauge({
      name: 'bridge_archive_pending_events',
      help: 'SKU events this replica has read but not yet written to the archive in object storage',
      registers: [registry],
      collect() {
        this.set(sources.archive()?.pendingEvents ?? 0);
      },
    }),
    archiveOldestPending: new Gauge({
      name: 'bridge_archive_oldest_pending_seconds',
      help: 'How long the oldest event not yet written to the archive has waited (0: none waits); a flush normally writes within ARCHIVE_FLUSH_MS',
      registers: [registry],
      collect() {
        const oldest = sources.archive()?.oldestPendingAt ?? null;
        this.set(oldest === null ? 0 : (Date.now() - oldest) / 1000);
      },
    }),
    eventsRelayed: new Counter({ name: 'bridge_events_relayed_total', help: 'SKU events appended to the log from /ingest', registers: [registry] }),
    checkoutEventsRelayed: new Counter({ name: 'bridge_checkout_events_relayed_total', help: 'Checkout events appended to the log from /ingest/checkouts', registers: [registry] }),
    batches: new Counter({
      name: 'bridge_ingest_batches_total',
      help: 'Outbox batches received on /ingest, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'bridge_ingest_rejected_total',
      help: 'Pushes refused before reaching the log, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    relayLag,
    relayLagGauge: new Gauge({
      name: 'bridge_relay_lag_seconds',
      help: `Commit in the SKU object to acknowledgement by the log, worst per SKU over the last ${RELAY_LAG_WINDOW_MS / 1000} s, for the ${RELAY_LAG_SKUS} most lagging SKUs`,
      labelNames: ['sku'] as const,
      registers: [registry],
      collect() {
        this.reset();
        // Read, never taken: a scrape leaves the window as it found it.
        for (const [sku, seconds] of relayLag.worst(now())) this.set({ sku }, seconds);
      },
    }),
    commitToLog: new Histogram({
      name: 'bridge_commit_to_log_seconds',
      help: 'Commit in the SKU object to acknowledgement by the log, per event',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    logErrors: new Counter({
      name: 'bridge_log_errors_total',
      help: 'Failed operations against the event log (Kafka), by operation',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    consumerDuplicates: byGroup(
      new Counter({
        name: 'bridge_consumer_duplicates_total',
        help: 'Events a consumer had already applied (same sku and version), skipped',
        labelNames: ['group'] as const,
        registers: [registry],
      }),
    ),
    consumerGapEvents: byGroup(
      new Counter({
        name: 'bridge_consumer_gap_events_total',
        help: 'Events missing from the log that a consumer fetched from the edge',
        labelNames: ['group'] as const,
        registers: [registry],
      }),
    ),
    consumerCausalPulls: byGroup(
      new Counter({
        name: 'bridge_consumer_causal_pulls_total',
        help: 'Events of another SKU that caused an event, fetched from the edge before applying it',
        labelNames: ['group'] as const,
        registers: [registry],
      }),
    ),
    causalDelivered: new Counter({
      name: 'bridge_causal_delivered_total',
      help: 'Events a causal consumer applied once all their causes were applied',
      labelNames: ['consumer'] as const,
      registers: [registry],
    }),
    causalHeld: new Gauge({
      name: 'bridge_causal_held_events',
      help: 'Events a causal consumer holds back because a cause has not been applied yet',
      labelNames: ['consumer'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [consumer, source] of causalSources) this.set({ consumer }, source().held);
      },
    }),
    causalHeldOldest: new Gauge({
      name: 'bridge_causal_held_oldest_seconds',
      help: 'How long the longest-held event of a causal consumer has waited for its causes (alert on it)',
      labelNames: ['consumer'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [consumer, source] of causalSources) this.set({ consumer }, source().oldestHeldSeconds ?? 0);
      },
    }),
    sagaCommands: new Counter({
      name: 'bridge_saga_commands_total',
      help: 'Saga commands carried out (WMS calls and edge verdicts), by command and outcome',
      labelNames: ['command', 'outcome'] as const,
      registers: [registry],
    }),
    feedMovements: new Counter({
      name: 'bridge_feed_movements_total',
      help: 'Warehouse movements the feed handled, by warehouse and outcome (applied; duplicate: the edge had counted it; shipment: not sent, sold at the edge)',
      labelNames: ['warehouse', 'outcome'] as const,
      registers: [registry],
    }),
    feedFailures: new Counter({
      name: 'bridge_feed_failures_total',
      help: 'Failed feed steps, retried with backoff: reading the warehouse, applying at the edge, committing the cursor',
      labelNames: ['warehouse', 'step'] as const,
      registers: [registry],
    }),
    feedCursor: new Gauge({
      name: 'bridge_feed_cursor',
      help: 'The last warehouse movement sequence the feed has handled, per warehouse this replica follows',
      labelNames: ['warehouse'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const row of sources.feed()) this.set({ warehouse: row.warehouse }, row.cursor);
      },
    }),
    feedLag: new Gauge({
      name: 'bridge_feed_lag',
      help: "Movements the warehouse has recorded that the feed has not handled yet (its latest sequence - the cursor), per warehouse this replica follows",
      labelNames: ['warehouse'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const row of sources.feed()) if (row.lag !== null) this.set({ warehouse: row.warehouse }, row.lag);
      },
    }),
    feedStalled: new Gauge({
      name: 'bridge_feed_stalled',
      help: 'Whether a warehouse feed is held up (1): the warehouse or the edge keeps failing, or the edge refuses a movement; nothing is skipped, so it waits',
      labelNames: ['warehouse'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const row of sources.feed()) this.set({ warehouse: row.warehouse }, row.stalled ? 1 : 0);
      },
    }),
    sagaTransitions: new Counter({
      name: 'bridge_saga_transitions_total',
      help: 'Saga phase changes',
      labelNames: ['from', 'to'] as const,
      registers: [registry],
    }),
  };
  return metrics;
}
export type Metrics = ReturnType<typeof createMetrics>;

/** What the feed gauges read of each warehouse this replica follows. */
export type FeedGaugeRow = { warehouse: string; cursor: number; lag: number | null; stalled: boolean };

/** A throw-away group (a rebuild, a reader) ends in a random UUID: one series per kind, not per run. */
const RANDOM_SUFFIX = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const groupLabel = (groupId: string): string => groupId.replace(RANDOM_SUFFIX, '');

/** A counter labelled by consumer group, whose label drops a throw-away group's random suffix. */
function byGroup(counter: Counter<'group'>) {
  return { inc: (labels: { group: string }, value?: number) => counter.inc({ group: groupLabel(labels.group) }, value) };
}
