/** Rows deleted per alarm run (idempotency records or seen signatures): an alarm's storage operations are bounded. */
export const PURGE_CHUNK = 1_000;
