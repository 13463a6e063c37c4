import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { PARAMS } from './params';

type Copy = { kafkaTimestamp: number; at: number; bytes: number };

/**
 * Consumes inventory.events from the beginning with a throw-away group and keeps the first copy
 * of every (sku, version): delivery is at least once, so duplicates are counted, not measured.
 */
export class EventsWatcher {
  readonly first = new Map<string, Copy>();
  records = 0;
  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka): Promise<EventsWatcher> {
    // A short fetch wait: this consumer only observes, and should not sit on full batches.
    const consumer = kafka.consumer({ groupId: `bench-relay-${randomUUID()}`, maxWaitTimeInMs: 100 });
    const watcher = new EventsWatcher(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: EVENTS_TOPIC, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) watcher.observe(Number(message.timestamp), message.value);
      },
    });
    return watcher;
  }

  private observe(kafkaTimestamp: number, value: Buffer | null): void {
    this.records++;
    if (!value) return;
    const event = JSON.parse(value.toString()) as { sku: string; version: number; at: string };
    const key = `${event.sku}#${event.version}`;
    if (!this.first.has(key)) this.first.set(key, { kafkaTimestamp, at: Date.parse(event.at), bytes: value.length });
  }

  /** The (sku, version) pairs up to each SKU's last version that have not reached Kafka. */
  missing(lastVersions: ReadonlyMap<string, number>): string[] {
    const missing: string[] = [];
    for (const [sku, last] of lastVersions) for (let v = 1; v <= last; v++) if (!this.first.has(`${sku}#${v}`)) missing.push(`${sku}#${v}`);
    return missing;
  }

  copies(sku: string, fromVersion: number, toVersion: number): Copy[] {
    const copies: Copy[] = [];
    for (let v = fromVersion; v <= toVersion; v++) copies.push(this.first.get(`${sku}#${v}`)!);
    return copies;
  }

  stop = () => this.consumer.disconnect();
}

/** The earliest and latest Kafka timestamps (the bridge's send times) of some copies. */
export const sendSpan = (copies: readonly Copy[]) => ({
  firstAt: copies.reduce((earliest, c) => Math.min(earliest, c.kafkaTimestamp), Infinity),
  lastAt: copies.reduce((latest, c) => Math.max(latest, c.kafkaTimestamp), 0),
});

/** Polls until nothing is missing or the timeout passes; answers what is still missing. */
async function awaitComplete(watcher: EventsWatcher, last: ReadonlyMap<string, number>, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = watcher.missing(last);
    if (missing.length === 0 || Date.now() > deadline) return missing;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every event up to each SKU's last version is in inventory.events, or this throws saying which are not. */
export async function awaitRelayed(watcher: EventsWatcher, last: ReadonlyMap<string, number>): Promise<void> {
  const missing = await awaitComplete(watcher, last, PARAMS.drainTimeoutMs);
  if (missing.length === 0) return;
  const expected = [...last.values()].reduce((a, b) => a + b, 0);
  throw new Error(`${missing.length} of ${expected} events missing from ${EVENTS_TOPIC} after ${PARAMS.drainTimeoutMs} ms, e.g. ${missing.slice(0, 10).join(', ')}`);
}
