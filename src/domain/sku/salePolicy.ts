import { z } from 'zod';
import { MAX_QTY, MAX_TTL_SECONDS } from './limits';

/**
 * A SKU's sale policy (issue 26), enforced by its object on every reserve, a checkout's steps
 * included: at most so many units per reservation, a hold no longer than a maximum (a caller may
 * ask shorter, never longer) with a default of its own, and a start before which reservations are
 * refused. Each field null: no such rule. Set with the stock (`PUT …/stock {policy}`), recorded on
 * the `StockSet` event; on a sharded SKU every shard holds it.
 */
export const SalePolicySchema = z.object({
  maxQtyPerReservation: z.int().min(1).max(MAX_QTY).nullable(),
  maxHoldSeconds: z.int().min(1).max(MAX_TTL_SECONDS).nullable(),
  defaultHoldSeconds: z.int().min(1).max(MAX_TTL_SECONDS).nullable(),
  startsAt: z.iso.datetime().nullable(),
});
export type SalePolicy = z.infer<typeof SalePolicySchema>;

export const NO_POLICY: SalePolicy = { maxQtyPerReservation: null, maxHoldSeconds: null, defaultHoldSeconds: null, startsAt: null };

/** A change of policy: a field left out keeps its rule, null removes it. */
export type SalePolicyChange = Partial<SalePolicy>;

/** The policy after `change`, or why it cannot be: a default hold longer than the maximum. */
export function changedPolicy(current: SalePolicy, change: SalePolicyChange): SalePolicy | string {
  const next = { ...current };
  for (const key of Object.keys(NO_POLICY) as (keyof SalePolicy)[]) if (change[key] !== undefined) Object.assign(next, { [key]: change[key] });
  if (next.defaultHoldSeconds !== null && next.maxHoldSeconds !== null && next.defaultHoldSeconds > next.maxHoldSeconds) {
    return `defaultHoldSeconds (${next.defaultHoldSeconds}) must not exceed maxHoldSeconds (${next.maxHoldSeconds})`;
  }
  return next;
}

/** How the policy refuses a reserve (part of `SkuError`). */
export type PolicyRefusal = { code: 'sale_not_started'; startsAt: string } | { code: 'qty_over_maximum'; maxQtyPerReservation: number };

export const hasPolicy = (policy: SalePolicy): boolean => Object.values(policy).some((v) => v !== null);

/** Why the policy refuses a reserve of `qty` at `now`, or null: the sale has not started, or too many units at once. */
export function policyRefusal(policy: SalePolicy, qty: number, now: number): PolicyRefusal | null {
  if (policy.startsAt !== null && now < Date.parse(policy.startsAt)) return { code: 'sale_not_started', startsAt: policy.startsAt };
  const max = policy.maxQtyPerReservation;
  return max !== null && qty > max ? { code: 'qty_over_maximum', maxQtyPerReservation: max } : null;
}

/**
 * How long a reservation is held: the seconds asked, or, when the caller asked none (`defaulted`:
 * the edge's configured default), the policy's default; never longer than the policy's maximum.
 */
export function holdSeconds(policy: SalePolicy, ttlSeconds: number, defaulted: boolean): number {
  const wanted = defaulted && policy.defaultHoldSeconds !== null ? policy.defaultHoldSeconds : ttlSeconds;
  return policy.maxHoldSeconds === null ? wanted : Math.min(wanted, policy.maxHoldSeconds);
}
