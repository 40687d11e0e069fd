/**
 * One way to pull values from any of the sources web code hands around:
 * `ReadableStream`s, async iterables and sync iterables.
 *
 * @module
 */

/** Pulls values one at a time, and can be let go of early. */
export interface PullSource<T> {
  /** The next value, or `undefined` at the end. */
  read(): Promise<T | undefined>;
  /** Stops the source: cancels a stream, returns an iterator. */
  cancel(reason: unknown): Promise<void>;
}

/** Any source `pullSource` accepts. */
export type Source<T> = ReadableStream<T> | AsyncIterable<T> | Iterable<T>;

/** Whether `value` is a source `pullSource` accepts. */
export function isSource(value: unknown): value is Source<unknown> {
  if (typeof value !== "object" || value === null) return false;
  return value instanceof ReadableStream ||
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] ===
      "function" ||
    typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] ===
      "function";
}

/**
 * Opens `source` for pulling. Streams are read through a reader rather than
 * their async iterator so that cancelling reaches the stream even while a
 * read is pending.
 */
export function pullSource<T>(source: Source<T>): PullSource<T> {
  if (source instanceof ReadableStream) {
    const reader = source.getReader();
    return {
      async read() {
        const { done, value } = await reader.read();
        return done ? undefined : value;
      },
      async cancel(reason) {
        await reader.cancel(reason);
      },
    };
  }
  const iterator = Symbol.asyncIterator in source
    ? source[Symbol.asyncIterator]()
    : source[Symbol.iterator]();
  return {
    async read() {
      const { done, value } = await iterator.next();
      return done ? undefined : value;
    },
    async cancel() {
      await iterator.return?.();
    },
  };
}
