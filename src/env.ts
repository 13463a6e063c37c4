import type { Checkout } from '../durable-objects/Checkout';
import type { Generations } from '../durable-objects/Generations';
import type { Sku } from '../durable-objects/Sku';

/** Bindings and vars of the edge Worker (see wrangler.toml); keys are secrets. */
export interface Env {
  SKU: DurableObjectNamespace<Sku>;
  /** One coordinator per multi-SKU checkout, named by its id. */
  CHECKOUT: DurableObjectNamespace<Checkout>;
  /** Which read-model generation is active, shadow or retiring (one object, named `registry`). */
  GENERATIONS: DurableObjectNamespace<Generations>;
  /** The read models: `view:<generation>:<sku>` → the SKU's counters. */
  PROJECTIONS: KVNamespace;
  /** Comma-separated bearer keys with the storefront role. */
  STOREFRONT_KEYS: string;
  /** Comma-separated bearer keys with the admin role. */
  ADMIN_KEYS: string;
  DEFAULT_TTL_SECONDS: string;
  /** Base URL of the bridge the SKU objects push their outbox to; unset, events wait in the outbox. */
  BRIDGE_URL?: string;
  /** Comma-separated HMAC secrets of internal calls (bridge ↔ edge): the first signs, all verify. */
  INTERNAL_SECRET?: string;
  /** `on`: refuse reservations at the edge while a fresh projection says sold out (see README). */
  SOLD_OUT_FAST_PATH?: string;
  /** How recent that projection must be, in ms (default 2000). */
  SOLD_OUT_FRESH_MS?: string;
  /** Ceiling of the outbox push backoff while the bridge is unreachable. */
  RELAY_MAX_BACKOFF_SECONDS?: string;
  /** How long a command may queue at its SKU object before it is shed with 503 (default 1000 ms; `0` disables). */
  ADMISSION_MAX_WAIT_MS?: string;
}

type WorkerEnv = Env;
declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
    // Types `exports` from 'cloudflare:workers' (what `wrangler types` would generate).
    interface GlobalProps {
      mainModule: typeof import('./index');
    }
  }
}
