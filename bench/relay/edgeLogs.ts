import type { WorkerdStructuredLog } from 'miniflare';

/**
 * Prints the Worker's console as Miniflare would, except the SKU objects' "outbox push failed"
 * warnings while the bridge is stopped on purpose: one per SKU and retry (thousands in a default
 * run), they are only counted then.
 */
export class EdgeLogs {
  expectRefusedPushes = false;
  refusedPushes = 0;

  readonly handle = ({ level, message }: WorkerdStructuredLog): void => {
    if (this.expectRefusedPushes && message.includes('"message":"outbox push failed"')) {
      this.refusedPushes++;
      return;
    }
    if (level === 'error' || level === 'warn') console.error(message);
    else console.log(message);
  };
}
