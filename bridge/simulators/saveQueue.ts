/**
 * Saves a simulator's whole state after changes, one save at a time: a reply waits for `flush()`,
 * so it never tells of something a crash could still undo, and one save covers every change
 * made before it started.
 */
export class SaveQueue {
  /** Changes made in memory, and how many of them the file holds. */
  private changes = 0;
  private saved = 0;
  /** The last queued save. */
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly save: () => Promise<void>) {}

  changed(): void {
    this.changes += 1;
  }

  /** Resolves once every change made so far is on disk. */
  flush(): Promise<void> {
    const target = this.changes;
    const save = this.saving.then(async () => {
      if (this.saved >= target) return;
      const covering = this.changes;
      await this.save();
      this.saved = covering;
    });
    // A failed save fails the calls waiting for it; the next change tries again with the whole state.
    this.saving = save.catch(() => undefined);
    return save;
  }

  /** Waits for the saves already queued. */
  async drain(): Promise<void> {
    await this.saving;
  }
}
