/**
 * The object's alarm time, cached: every commit asks whether an alarm is set or already due, and
 * reading storage each time would cost. The constructor loads it; an alarm run clears it first,
 * since the runtime forgets an alarm once it fired.
 */
export class AlarmClock {
  readonly #storage: Pick<DurableObjectStorage, 'getAlarm' | 'setAlarm'>;
  #at: number | null = null;

  constructor(storage: Pick<DurableObjectStorage, 'getAlarm' | 'setAlarm'>) {
    this.#storage = storage;
  }

  async load(): Promise<void> {
    this.#at = await this.#storage.getAlarm();
  }

  get isSet(): boolean {
    return this.#at !== null;
  }

  /** An alarm due by `now` recomputes every deadline from storage when it runs. */
  isDue(now: number): boolean {
    return this.#at !== null && this.#at <= now;
  }

  fired(): void {
    this.#at = null;
  }

  /** Moves the alarm earlier when `at` comes first; a later alarm is re-armed by the alarm run itself. */
  async moveEarlier(at: number | null): Promise<void> {
    if (at === null || (this.#at !== null && this.#at <= at)) return;
    this.#at = at;
    await this.#storage.setAlarm(at);
  }
}
