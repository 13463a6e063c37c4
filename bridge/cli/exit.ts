/** Exit codes of every command, so scripts and cron jobs can branch on them without parsing output. */
export const EXIT = {
  ok: 0,
  /** The check ran and found something wrong (differences left, a component unhealthy). */
  problems: 1,
  /** Bad arguments or options (commander's errors land here too). */
  usage: 2,
  /** A component could not be asked: unreachable, timed out, refused the call or answered nonsense. */
  failed: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A call that did not give an answer to work with; `code` is the component's error code when it sent one. */
export class CallFailed extends Error {
  override readonly name = 'CallFailed';
  constructor(
    message: string,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** Arguments commander accepted but that make no sense together: exit 2, like commander's own. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
