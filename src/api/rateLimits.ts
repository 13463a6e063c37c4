import type { Context } from 'hono';
import type { ApiError } from '../contract/errors';
import type { AppEnv } from './auth';

/**
 * Rate limits on reserves and checkouts (issue 26), with the Workers Rate Limiting binding: per
 * key owner and customer (`RATE_LIMIT_CUSTOMER`: a bot holding a drop under one customer id) and
 * per key (`RATE_LIMIT_KEY`: one driving a shop's key with fresh customer ids). Counted per
 * Cloudflare location and eventually consistent, as the binding is: a brake on abuse, not an
 * exact quota. Limits and period are the bindings' (wrangler.toml); a binding absent (a bare
 * Miniflare, as the benchmarks run) limits nothing.
 */

/** The bindings' period (wrangler.toml `simple.period`): what a refused caller is told to wait. */
export const RATE_LIMIT_PERIOD_SECONDS = 10;

type RateLimited = Extract<ApiError, { code: 'rate_limited' }>;

export async function rateLimited(c: Context<AppEnv>, customerId: string): Promise<RateLimited | null> {
  const { owner } = c.get('principal');
  const refused = (scope: RateLimited['scope']): RateLimited => ({ code: 'rate_limited', scope, retryAfterSeconds: RATE_LIMIT_PERIOD_SECONDS });
  const perCustomer = c.env.RATE_LIMIT_CUSTOMER as RateLimit | undefined;
  if (perCustomer && !(await perCustomer.limit({ key: `${owner}:${customerId}` })).success) return refused('customer');
  const perKey = c.env.RATE_LIMIT_KEY as RateLimit | undefined;
  if (perKey && !(await perKey.limit({ key: owner })).success) return refused('key');
  return null;
}
