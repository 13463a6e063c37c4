import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BatchAnswer, GroupCall, ReserveCall } from '../../durable-objects/Sku';
import { createSku, eventsOf, uniqueSku } from '../support/api';
import { normalised } from '../support/normalised';

/**
 * Group commit against commands one by one: any run of reserves, completes and cancels, cut into
 * batches anywhere, with receipts between the batches, gives the same answers, the same log and the
 * same counters as the same commands sent alone in that order. Keys repeat (replays) and are reused
 * with another body; customers hit their limit; stock runs out and comes back; a hold is completed
 * or cancelled twice, or cancelled after it was bought.
 */
type Step =
  | { kind: 'reserve'; customer: number; qty: number; key: number; cut: boolean }
  | { kind: 'cancel' | 'complete'; pick: number; cut: boolean }
  | { kind: 'receive'; qty: number };

const customers = ['ann', 'bob', 'cat'];
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('reserve' as const), customer: fc.nat(2), qty: fc.integer({ min: 1, max: 3 }), key: fc.nat(12), cut: fc.boolean() }) },
  fc.record({ kind: fc.constantFrom('cancel' as const, 'complete' as const), pick: fc.nat(20), cut: fc.boolean() }),
  fc.record({ kind: fc.constant('receive' as const), qty: fc.integer({ min: 1, max: 3 }) }),
);

const callOf = (sku: string, s: Extract<Step, { kind: 'reserve' }>): ReserveCall => ({
  req: { sku, customerId: customers[s.customer]!, qty: s.qty, ttlSeconds: 600 },
  // The key's owner is its customer's; its body hash the quantity: a key sent again with another quantity is reused.
  idempotency: { scope: `${customers[s.customer]}\n${s.key}`, requestHash: String(s.qty) },
});

/** Runs the steps, reserves grouped (cut after a step with `cut`, and before any other command) or each alone. */
async function drive(sku: string, steps: Step[], grouped: boolean): Promise<unknown[]> {
  const stub = env.SKU.getByName(sku);
  const answers: unknown[] = [];
  const made: { reservationId: string; customerId: string }[] = [];
  let batch: GroupCall[] = [];
  const alone = async (c: GroupCall) =>
    'req' in c ? stub.reserve(c.req, c.idempotency) : c.settle === 'complete' ? stub.complete(c.ref) : stub.cancel(c.ref);
  const flush = async () => {
    if (batch.length === 0) return;
    const answered: BatchAnswer[] = grouped ? await stub.reserveBatch(batch) : [];
    if (!grouped) for (const c of batch) answered.push({ outcome: await alone(c) });
    answered.forEach((a, i) => {
      answers.push(a);
      if ('req' in batch[i]! && 'outcome' in a && a.outcome.ok && !a.outcome.replayed) made.push(a.outcome.value);
    });
    batch = [];
  };
  for (const s of steps) {
    if (s.kind === 'reserve') {
      batch.push(callOf(sku, s));
      if (s.cut) await flush();
      continue;
    }
    if (s.kind === 'receive') {
      await flush();
      answers.push(await stub.receiveStock({ sku, qty: s.qty }));
    } else if (made.length > 0) {
      // Settles a hold made in an earlier batch: its id is known only once that batch answered.
      const { reservationId, customerId } = made[s.pick % made.length]!;
      batch.push({ settle: s.kind, ref: { sku, reservationId, customerId } });
      if (s.cut) await flush();
    }
  }
  await flush();
  return answers;
}

describe('group commit against commands one by one', () => {
  it('gives the same answers, log and counters whatever the batches', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 6 }), fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), async (steps, onHand, limit) => {
        const [grouped, alone] = [uniqueSku('grouped'), uniqueSku('alone')];
        for (const sku of [grouped, alone]) await createSku(sku, onHand, limit);
        const answers = [await drive(grouped, steps, true), await drive(alone, steps, false)];
        expect(normalised(answers[0], grouped)).toEqual(normalised(answers[1], alone));
        expect(normalised(await eventsOf(grouped), grouped)).toEqual(normalised(await eventsOf(alone), alone));
        const counters = [await env.SKU.getByName(grouped).counters(grouped), await env.SKU.getByName(alone).counters(alone)];
        expect(normalised(counters[0], grouped)).toEqual(normalised(counters[1], alone));
      }),
      { numRuns: 30 },
    );
  });
});
