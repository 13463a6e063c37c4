/**
 * One Worker isolate's group-commit queues (`src/api/coalescer.ts`, ADR 0021), as the model needs
 * them: per object, one call in flight; members arriving meanwhile queue, and when the call returns
 * the first `max` of them leave together as the next call. No timer: an idle object gets its member
 * at once. Pure bookkeeping; the caller sends the calls.
 */
export class Lanes<K, M> {
  /** A key is here while its call is in flight; its value is what queued behind that call. */
  private readonly lanes = new Map<K, M[]>();

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new Error(`a batch bound must be at least 1, not ${max}`);
  }

  /** A member for `key`: the call to send now (the object was idle here), or null (queued). */
  submit(key: K, member: M): M[] | null {
    const queue = this.lanes.get(key);
    if (queue) {
      queue.push(member);
      return null;
    }
    this.lanes.set(key, []);
    return [member];
  }

  /** The call in flight for `key` returned: the next call (the first `max` queued, in order), or null when none queued. */
  returned(key: K): M[] | null {
    const queue = this.lanes.get(key);
    if (!queue) throw new Error('no call was in flight for that key');
    if (queue.length === 0) {
      this.lanes.delete(key);
      return null;
    }
    return queue.splice(0, this.max);
  }

  /** Members waiting behind the call in flight for `key`. */
  queued(key: K): number {
    return this.lanes.get(key)?.length ?? 0;
  }
}
