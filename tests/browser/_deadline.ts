/**
 * A time limit on a promise, for the browser test's waits: a browser that
 * hangs fails the test with a sentence instead of hanging CI.
 *
 * @module
 */

/**
 * `promise`, or a rejection with `Timed out after N s: <what>` once `ms`
 * have passed. The timer is cleared either way, so no test leaks it.
 */
export async function deadline<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms / 1000} s: ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
