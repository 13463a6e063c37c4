/**
 * The KV read model of one SKU: every shard writes its slice's key at most once a second (KV
 * allows one write per second per key) and a reader sees what was written some time ago
 * (propagation to other locations takes up to ~60 s). Buyers' reads never touch the objects.
 * The slices are summed as of the write time: the model keeps the SKU's total per write.
 */
export class ReadModel {
  private readonly times: number[] = [];
  private readonly values: number[] = [];

  constructor(private readonly initial: number) {}

  write(now: number, available: number): void {
    if (this.times.at(-1) === now) this.values[this.values.length - 1] = available;
    else {
      this.times.push(now);
      this.values.push(available);
    }
  }

  /** The available count a reader sees whose copy reflects writes up to `asOf`. */
  read(asOf: number): number {
    let low = 0;
    let high = this.times.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.times[mid]! <= asOf) low = mid + 1;
      else high = mid;
    }
    return low === 0 ? this.initial : this.values[low - 1]!;
  }
}
