/**
 * One way to pull values from any of the sources web code hands around:
 * `ReadableStream`s, async iterables and sync iterables.
 *
 * @module
 */

import { describeValue } from "../_errors.ts";

/**
 * What one pull gives: a value, or the end. The end is its own signal, never
 * a value such as `undefined`: a source that yields `undefined` has given a
 * value, which the caller then refuses, instead of ending early.
 */
export type Pulled<T> = { done: true } | { done: false; value: T };

/** Pulls values one at a time, and can be let go of early. */
export interface PullSource<T> {
  /**
   * The next value, or the end.
   *
   * @throws {IteratorProtocolError} when an iterator's `next()` gives something other
   * than an object (an iterator result).
   */
  read(): Promise<Pulled<T>>;
  /** Stops the source: cancels a stream, returns an iterator. */
  cancel(reason: unknown): Promise<void>;
}

/** Any source `pullSource` accepts. */
export type Source<T> = ReadableStream<T> | AsyncIterable<T> | Iterable<T>;

const END: Pulled<never> = { done: true };

/**
 * An iterator that broke the iteration protocol. Its message says what was
 * expected and received, for the caller to prefix with what was being read.
 */
export class IteratorProtocolError extends TypeError {}

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
      // A reader's result already tells the end apart from a value.
      read: (): Promise<Pulled<T>> => reader.read(),
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
      const result: unknown = await iterator.next();
      if (typeof result !== "object" || result === null) {
        throw new IteratorProtocolError(
          `expected its iterator's next() to give an object ({ done, value }) but received ${
            describeValue(result)
          }`,
        );
      }
      const { done, value } = result as IteratorResult<T>;
      if (done === true) return END;
      // A result without `done` (allowed: it means false) is made whole.
      return done === false
        ? result as Pulled<T>
        : { done: false, value: value as T };
    },
    async cancel() {
      await iterator.return?.();
    },
  };
}
