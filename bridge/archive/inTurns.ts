/**
 * `work` over the items, `concurrency` at a time, answers in order. Every call in flight ends before
 * a failure is thrown (an upload of a flush outliving it would race the retry's upload of that key),
 * and none starts after one failed.
 */
export async function inTurns<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | null = null;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (let i = next++; i < items.length && failed === null; i = next++) {
        try {
          results[i] = await work(items[i]!, i);
        } catch (error) {
          failed ??= { error };
        }
      }
    }),
  );
  if (failed !== null) throw (failed as { error: unknown }).error;
  return results;
}
