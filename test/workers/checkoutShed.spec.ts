import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Checkout, StartCheckout } from '../../durable-objects/Checkout';
import { call, createSku, eventsOf, uniqueSku } from '../support/api';

/**
 * Issue 26: a checkout's reserves carry admission as a buyer's do. A step shed by its SKU object
 * fails the checkout with 503 and Retry-After, nothing held; the buyer's retry starts it again.
 * The SKU namespace the coordinator sees sheds one reserve of one SKU, as an object past its
 * admission bound answers; every other call reaches the real objects.
 */
type Namespace = typeof env.SKU;
function shedding(real: Namespace, sku: string, tickets: unknown[]): Namespace {
  let shed = 1;
  return {
    getByName: (name: string) => {
      const stub = real.getByName(name);
      return new Proxy(stub, {
        get: (target, prop) => {
          if (prop === 'reserve' && name === sku && shed-- > 0) return async () => ({ ok: false, error: { code: 'overloaded', retryAfterSeconds: 2 } });
          if (prop === 'reserve') return (...args: unknown[]) => (tickets.push(args[2]), (target as unknown as { reserve: (...a: unknown[]) => unknown }).reserve(...args));
          const methods = target as unknown as Record<string | symbol, (...args: unknown[]) => unknown>;
          // An RPC method is called on its stub (its own `apply` would be taken for a remote method).
          return (...args: unknown[]) => methods[prop]!(...args);
        },
      });
    },
  } as unknown as Namespace;
}

type Shed = { instance: Checkout; a: string; b: string; start: StartCheckout; tickets: unknown[] };

/** Two SKUs of 5 units and a checkout of both; its coordinator's namespace sheds b's first reserve, and admission is on. */
async function withShedCheckout(customerId: string, qtyOfB: number, body: (shed: Shed) => Promise<void>): Promise<void> {
  const [a, b] = [uniqueSku('shed-a'), uniqueSku('shed-b')];
  await createSku(a, 5);
  await createSku(b, 5);
  const checkoutId = `chk_${crypto.randomUUID().replaceAll('-', '')}`;
  const start = { checkoutId, customerId, lines: [{ sku: a, qty: 1 }, { sku: b, qty: qtyOfB }], ttlSeconds: 300, requestHash: `h-${customerId}` };
  await runInDurableObject(env.CHECKOUT.getByName(checkoutId), async (instance: Checkout) => {
    const tickets: unknown[] = [];
    const patched = instance as unknown as { env: typeof env };
    patched.env = { ...patched.env, SKU: shedding(env.SKU, b, tickets), ADMISSION_MAX_WAIT_MS: '1000' };
    await body({ instance, a, b, start, tickets });
  });
}

describe('a checkout whose step is shed', () => {
  it('releases what it held and answers 503 with Retry-After; the retry under the same key reserves every line anew', async () => {
    await withShedCheckout('dee', 2, async ({ instance, a, b, start, tickets }) => {
      const first = await instance.start(start);
      expect(first).toEqual({ ok: false, error: { code: 'overloaded', retryAfterSeconds: 2 } });
      // a's line was reserved, then released when b's was shed: nothing is held.
      expect((await eventsOf(a)).map((e) => e.type)).toEqual(['StockSet', 'StockReserved', 'StockReleased']);
      expect((await call('GET', `/v1/skus/${b}?consistent=true`)).json.reserved).toBe(0);

      const again = await instance.start(start);
      expect(again.ok && again.value.status).toBe('reserved');
      expect(again.ok && again.value.lines.map((l) => l.state)).toEqual(['held', 'held']);
      const reserved = (await eventsOf(a)).filter((e) => e.type === 'StockReserved');
      // A new reservation, not the replay of the released one.
      expect(reserved).toHaveLength(2);
      expect(again.ok && again.value.lines[0]!.reservationId).toBe(reserved[1].data.reservationId);
      // The same request once more is the same checkout, replayed.
      expect(await instance.start(start)).toMatchObject({ ok: true, replayed: true, value: { status: 'reserved' } });
      // Every reserve the checkout sent in a buyer's run was stamped for admission.
      expect(tickets).toHaveLength(3);
      for (const t of tickets) expect(t).toEqual({ sentAt: expect.any(Number), maxWaitMs: 1_000 });
    });
  });

  it('cancelled after it was shed, it stays cancelled: the buyer\'s next start does not reserve it again', async () => {
    await withShedCheckout('eve', 1, async ({ instance, a, b, start }) => {
      expect((await instance.start(start)).ok).toBe(false);
      const cancelled = await instance.change('eve', 'cancel');
      expect(cancelled.ok && cancelled.value.status).toBe('cancelled');
      const again = await instance.start(start);
      expect(again).toMatchObject({ ok: true, replayed: true, value: { status: 'cancelled' } });
      expect((await eventsOf(a)).filter((e) => e.type === 'StockReserved')).toHaveLength(1);
      expect((await eventsOf(b)).filter((e) => e.type === 'StockReserved')).toHaveLength(0);
    });
  });
});
