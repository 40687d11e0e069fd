/**
 * A bounded pool for the parts of a server-side build.
 *
 * @module
 */

/** Runs `make` over `items`, `concurrency` at a time, results in order; the first failure stops the rest. */
export async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal,
  make: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      signal.throwIfAborted();
      const index = next++;
      try {
        results[index] = await make(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.min(concurrency, items.length) }, worker),
  );
  const rejected = outcomes.find((outcome) => outcome.status === "rejected");
  if (rejected !== undefined) throw (rejected as PromiseRejectedResult).reason;
  return results;
}
