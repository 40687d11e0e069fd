/**
 * A response body made of literal bytes (multipart headers) and slices of a
 * planned archive, each slice opened only when the body reaches it.
 *
 * @module
 */

import type { ZipPlan } from "../zip/zip_plan.ts";

/** Bytes of the archive from `start` (inclusive) to `end` (exclusive). */
export interface ArchiveSlice {
  readonly start: number;
  readonly end: number;
}

/** One piece of a body: bytes sent as they are, or a slice of the archive. */
export type BodyPart = Uint8Array | ArchiveSlice;

/**
 * The body that sends `parts` in order. A slice that fails, or gives more or
 * fewer bytes than it spans, fails the body where it stands: the client sees
 * a cut transfer (its `Content-Length` unmet), never padded or shifted
 * bytes. Cancelling the body, or aborting `signal`, cancels the slice being
 * read; an abort also fails the body.
 */
export function bodyStream(
  plan: ZipPlan,
  parts: readonly BodyPart[],
  signal: AbortSignal | undefined,
): ReadableStream<Uint8Array> {
  return new ReadableStream(new BodySource(plan, parts, signal), {
    highWaterMark: 0,
  });
}

/**
 * Pulls the parts one by one. A hand-made source rather than
 * `ReadableStream.from(generator)`: cancelling a generator waits until the
 * read it is awaiting settles, and a stalled source read would then hold a
 * cancelled request's slice open; here the reader is cancelled at once.
 */
class BodySource implements UnderlyingDefaultSource<Uint8Array> {
  readonly #plan: ZipPlan;
  readonly #parts: readonly BodyPart[];
  readonly #signal: AbortSignal | undefined;
  #next = 0;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #slice: ArchiveSlice | undefined;
  #remaining = 0;
  #done = false;
  #onAbort: (() => void) | undefined;

  constructor(
    plan: ZipPlan,
    parts: readonly BodyPart[],
    signal: AbortSignal | undefined,
  ) {
    this.#plan = plan;
    this.#parts = parts;
    this.#signal = signal;
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    const signal = this.#signal;
    if (signal === undefined) return;
    if (signal.aborted) {
      this.#done = true;
      controller.error(signal.reason);
      return;
    }
    this.#onAbort = () => {
      const reason: unknown = signal.reason;
      controller.error(reason);
      void this.#finish(reason);
    };
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  async pull(
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<void> {
    try {
      await this.#pullPart(controller);
    } catch (error) {
      await this.#finish(error);
      throw error;
    }
  }

  async cancel(reason: unknown): Promise<void> {
    await this.#finish(reason);
  }

  /** Enqueues the next chunk of the body, or closes it after the last part. */
  async #pullPart(
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<void> {
    while (!this.#done) {
      if (this.#reader === undefined) {
        const part = this.#parts[this.#next++];
        if (part === undefined) {
          await this.#finish();
          controller.close();
          return;
        }
        if (part instanceof Uint8Array) {
          controller.enqueue(part);
          return;
        }
        this.#open(part);
        continue;
      }
      const chunk = await this.#readSlice();
      if (chunk === undefined) {
        this.#reader = undefined;
      } else if (chunk.length > 0 && !this.#done) {
        controller.enqueue(chunk);
        return;
      }
    }
  }

  #open(slice: ArchiveSlice): void {
    this.#slice = slice;
    this.#remaining = slice.end - slice.start;
    this.#reader = this.#plan.slice(slice.start, slice.end).getReader();
  }

  /** The slice's next chunk, or `undefined` at its end, checked against its span. */
  async #readSlice(): Promise<Uint8Array | undefined> {
    const { done, value } = await this.#reader!.read();
    if (this.#done) return undefined;
    const { start, end } = this.#slice!;
    if (done) {
      if (this.#remaining === 0) return undefined;
      throw new RangeError(
        `Cannot send bytes ${start}-${end - 1} of the archive: expected ${
          end - start
        } bytes from plan.slice() but it ended after ${
          end - start - this.#remaining
        }`,
      );
    }
    if (value.length > this.#remaining) {
      throw new RangeError(
        `Cannot send bytes ${start}-${end - 1} of the archive: expected ${
          end - start
        } bytes from plan.slice() but it gave more`,
      );
    }
    this.#remaining -= value.length;
    return value;
  }

  /** Stops for good: detaches from the signal and cancels the open slice. */
  async #finish(reason?: unknown): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    if (this.#onAbort !== undefined) {
      this.#signal?.removeEventListener("abort", this.#onAbort);
    }
    const reader = this.#reader;
    this.#reader = undefined;
    // A slice that failed rejects its cancel with its own error, which the
    // body already carries.
    await reader?.cancel(reason).catch(() => {});
  }
}
