import type { RebuildReport } from '../../src/contract/rebuildStatus';
import { EdgeAnswerError, type EdgeClient } from '../edge/client';
import type { Logger } from '../logger';

/**
 * Keeps a rebuild's shadow leased at the registry. The registry retires a shadow whose lease ran
 * out, so a bridge that dies mid-rebuild does not leave every SKU object writing its views twice
 * for ever. A renewal that fails on the way is tried again on the next tick (the lease outlasts
 * several); one the edge refuses means the shadow is gone (superseded by a newer rebuild,
 * expired, abandoned): `lost` then says why, and the rebuild stops. Each renewal carries the
 * rebuild's progress (`report`), which the registry keeps for every replica to show: no extra call.
 */
export class ShadowLease {
  #lost: Error | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(edge: EdgeClient, generation: string, leaseSeconds: number, logger: Logger, onLost: (error: Error) => void, report?: () => RebuildReport) {
    this.#timer = setInterval(() => {
      edge.renewShadow(generation, leaseSeconds, report?.()).catch((error: unknown) => {
        if (error instanceof EdgeAnswerError && error.status >= 400 && error.status < 500) {
          this.#lost ??= new Error(`the rebuild lost its shadow generation ${generation}: ${error.message}`);
          clearInterval(this.#timer);
          onLost(this.#lost);
        } else {
          logger.warn({ err: error, generation }, 'shadow lease renewal failed; tried again on the next tick');
        }
      });
    }, renewEveryMs(leaseSeconds));
    this.#timer.unref();
  }

  /** Throws once the shadow is known to be lost. */
  check(): void {
    if (this.#lost) throw this.#lost;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** A quarter of the lease: three renewals may fail in a row before it runs out. */
const renewEveryMs = (leaseSeconds: number) => (leaseSeconds * 1000) / 4;
