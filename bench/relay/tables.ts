import { printTable, type Row } from '../lib/report';
import type { runCatchUp } from './catchUpPhase';
import { round } from './figures';
import type { rawKafkajs } from './kafkajsBaseline';
import type { producerPerformance } from './producerPerformanceBaseline';
import type { rebuild } from './rebuild';
import type { runRelay } from './relayPhase';
import type { RssSummary } from './rss';

export type RelayReport = {
  relay: Awaited<ReturnType<typeof runRelay>>['relay'];
  memory: RssSummary;
  catchUp: Awaited<ReturnType<typeof runCatchUp>>['catchUp'];
  catchUpMemory: RssSummary;
  kafkajs: Awaited<ReturnType<typeof rawKafkajs>>;
  perfTool: Awaited<ReturnType<typeof producerPerformance>>;
  rebuilds: Awaited<ReturnType<typeof rebuild>>[];
};

/** The run's figures as tables on the console. */
export function printReport(r: RelayReport): void {
  printRelay(r);
  printBaselines(r);
  printMemory(r);
  printRebuilds(r);
}

function printRelay(r: RelayReport): void {
  // Lag and drain mean nothing for a backlog kept back on purpose; the first event's wait after
  // the restart means nothing while reserving.
  printTable('Relay: SKU objects → bridge /ingest → inventory.events', [
    {
      phase: 'while reserving',
      events: r.relay.events,
      's': r.relay.seconds,
      'events/s': r.relay.eventsPerSecond,
      'requests/s': r.relay.requestsPerSecond,
      'drain s': r.relay.drainAfterLastAnswerSeconds,
      'first event s': null,
      'lag p50 ms': r.relay.lagMs.p50,
      'lag p99 ms': r.relay.lagMs.p99,
      'lag max ms': r.relay.lagMs.max,
      duplicates: r.relay.duplicates,
      missing: r.relay.missing,
    },
    {
      phase: 'catch-up (from healthy)',
      events: r.catchUp.events,
      's': r.catchUp.seconds,
      'events/s': r.catchUp.eventsPerSecond,
      'requests/s': r.catchUp.requestsPerSecond,
      'drain s': null,
      'first event s': r.catchUp.firstEventAfterHealthySeconds,
      'lag p50 ms': null,
      'lag p99 ms': null,
      'lag max ms': null,
      duplicates: r.catchUp.duplicates,
      missing: r.catchUp.missing,
    },
  ]);
}

function printBaselines(r: RelayReport): void {
  // Each ratio column divides one relay phase's rate by the row's, so the two relay rows also
  // compare the phases with each other.
  const divided = (recordsPerSecond: number) => ({
    'relay ÷ this': round(r.relay.eventsPerSecond / recordsPerSecond, 3),
    'catch-up ÷ this': round(r.catchUp.eventsPerSecond / recordsPerSecond, 3),
  });
  const rows: Row[] = [
    { producer: 'relay while reserving (edge → bridge → Kafka)', records: r.relay.events, 'bytes/record': r.relay.avgEventBytes, 'records/s': r.relay.eventsPerSecond, ...divided(r.relay.eventsPerSecond), 'avg ms': null, 'p99 ms': r.relay.lagMs.p99 },
    { producer: 'relay catch-up (bridge restarted on a backlog)', records: r.catchUp.events, 'bytes/record': r.catchUp.avgEventBytes, 'records/s': r.catchUp.eventsPerSecond, ...divided(r.catchUp.eventsPerSecond), 'avg ms': null, 'p99 ms': null },
    { producer: 'kafkajs idempotent, acks=-1, 1 in flight, 500/batch', records: r.kafkajs.records, 'bytes/record': r.kafkajs.recordBytes, 'records/s': r.kafkajs.recordsPerSecond, ...divided(r.kafkajs.recordsPerSecond), 'avg ms': null, 'p99 ms': null },
    { producer: 'ProducerPerformance acks=all', records: r.perfTool.records, 'bytes/record': r.perfTool.recordBytes, 'records/s': r.perfTool.recordsPerSecond, ...divided(r.perfTool.recordsPerSecond), 'avg ms': r.perfTool.avgLatencyMs, 'p99 ms': r.perfTool.p99LatencyMs },
  ];
  printTable('Same broker, same run (relay p99 is commit-to-Kafka lag)', rows);
}

function printMemory(r: RelayReport): void {
  printTable('Bridge RSS during the relay', [
    { phase: 'while reserving', 'max MiB': r.memory.maxMiB, 'mean MiB': r.memory.meanMiB, samples: r.memory.samples },
    { phase: 'catch-up', 'max MiB': r.catchUpMemory.maxMiB, 'mean MiB': r.catchUpMemory.meanMiB, samples: r.catchUpMemory.samples },
  ]);
}

function printRebuilds(r: RelayReport): void {
  printTable(
    'Projection rebuild (blue-green, through the bridge admin API)',
    r.rebuilds.map((b) => ({
      from: b.from,
      'SKU snapshots': b.snapshotSkus,
      'events read': b.eventsRead,
      replayed: b.eventsReplayed,
      's': b.seconds,
      'events/s': b.eventsPerSecond,
      'replay s': b.replaySeconds,
      'replay events/s': b.replayEventsPerSecond,
    })),
  );
}
