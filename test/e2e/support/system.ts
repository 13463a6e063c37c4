import { foldLedger, type Reservation, type SkuEvent } from '../../../src/domain/sku';
import type { SkuNamespace } from './worker';

/** Runs the tasks with `concurrency` of them in flight at any time, reporting progress. */
export async function pool<T>(tasks: (() => Promise<T>)[], concurrency: number, onDone?: (done: number) => void): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
        onDone?.(++done);
      }
    }),
  );
  return results;
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 120_000, pollMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A SKU object's whole log, read through its RPC interface. */
export async function objectLog(skus: SkuNamespace, sku: string): Promise<SkuEvent[]> {
  const events: SkuEvent[] = [];
  // One stub, alive until the last call has answered: a stub made per call can be collected on
  // this side while its call is in flight, and Miniflare's proxy then frees the object the call
  // targets before serving it (an assertion in its reviver; seen once in a CI run under load).
  const stub = skus.getByName(sku);
  for (;;) {
    const page = await stub.events(sku, events.length, 1000);
    if (!page.ok) throw new Error(`${sku}: ${page.error.code}`);
    events.push(...page.value.events);
    if (events.length >= page.value.lastVersion) return events;
  }
}

/** The object's reservations as the pure domain folds its log. */
export async function reservationsOf(skus: SkuNamespace, sku: string): Promise<Reservation[]> {
  return [...foldLedger(await objectLog(skus, sku)).reservations.values()];
}
