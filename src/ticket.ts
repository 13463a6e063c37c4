import { workerConfig, type WorkerVars } from './config';
import type { Ticket } from './contract/admission';

/**
 * The Worker's half of admission control: each command is stamped with when it was sent and how
 * long it may queue; the object's half (`durable-objects/sku/admission.ts`) refuses a late one.
 */
export function ticket(env: WorkerVars, now = Date.now()): Ticket | undefined {
  const maxWaitMs = workerConfig(env).ADMISSION_MAX_WAIT_MS;
  return maxWaitMs > 0 ? { sentAt: now, maxWaitMs } : undefined;
}
