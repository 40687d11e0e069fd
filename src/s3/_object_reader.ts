/**
 * One S3 object as a stream of its bytes: opened with GetObject only when
 * needed (its turn, or read-ahead), and resumed with a `Range` request from
 * the byte where a broken body stopped, pinned to the object's ETag so that
 * an object changed meanwhile fails instead of mixing two versions.
 *
 * @module
 */

import type { ReadAhead } from "./_read_ahead.ts";
import {
  backoffDelay,
  describeError,
  isRetryable,
  RequestFailedError,
  type RetryPolicy,
  sleep,
  unwrap,
} from "./_retry.ts";
import { errorName } from "./_s3_error_fields.ts";
import type { S3Requests } from "./_s3_requests.ts";

/** What the reader knows of its object from the listing. */
export interface ObjectListing {
  bucket: string;
  key: string;
  size: number;
  /** The listing's ETag, if it gave one: the version the archive must hold. */
  etag: string | undefined;
}

/** Reads one object, lazily, resumably, with read-ahead. */
export class ObjectReader {
  /** The object's bytes, for a `ZipEntry`'s `data`. */
  readonly stream: ReadableStream<Uint8Array>;

  #requests: S3Requests;
  #policy: RetryPolicy;
  #object: ObjectListing;
  #readAhead: ReadAhead;
  #index: number;
  #signal: AbortSignal;

  /** Bytes received so far (queued or delivered); where a resumed GET starts. */
  #offset = 0;
  #etag: string | undefined;
  #body: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #active = false;
  #prefetching = false;
  #ended = false;
  #cancelled = false;
  /** Serialises reads of the body between read-ahead and the writer. */
  #lock: Promise<unknown> = Promise.resolve();

  constructor(
    requests: S3Requests,
    policy: RetryPolicy,
    object: ObjectListing,
    readAhead: ReadAhead,
    signal: AbortSignal,
  ) {
    this.#requests = requests;
    this.#policy = policy;
    this.#object = object;
    this.#etag = object.etag;
    this.#readAhead = readAhead;
    this.#signal = signal;
    this.#index = readAhead.add(this);
    this.stream = new ReadableStream<Uint8Array>({
      pull: (controller) => this.#pull(controller),
      cancel: () => this.cancel(),
    }, { highWaterMark: 0 });
  }

  /** Stops reading and lets go of the connection and of buffered bytes. */
  cancel(): void {
    this.#cancelled = true;
    this.#ended = true;
    this.#readAhead.budget.release(this.#queuedBytes);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#closeBody();
  }

  /** Starts fetching ahead of this object's turn, within the read-ahead budget. */
  prefetch(): void {
    if (this.#active || this.#prefetching || this.#object.size === 0) return;
    this.#prefetching = true;
    this.#pump().catch(() => {
      // The error reaches the writer when it reads this object.
    });
  }

  async #pump(): Promise<void> {
    const budget = this.#readAhead.budget;
    while (!this.#active && !this.#ended && !this.#cancelled) {
      if (!budget.available) {
        await budget.released();
        continue;
      }
      await this.#exclusive(async () => {
        // The writer may have reached this object while the budget was full.
        if (this.#active || this.#cancelled) return;
        const chunk = await this.#next();
        if (chunk === undefined) return;
        budget.take(chunk.length);
        this.#queue.push(chunk);
        this.#queuedBytes += chunk.length;
      });
    }
  }

  async #pull(
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<void> {
    if (!this.#active) {
      this.#active = true;
      this.#readAhead.reached(this.#index);
    }
    const chunk = await this.#exclusive(() => {
      const queued = this.#queue.shift();
      if (queued === undefined) return this.#next();
      this.#queuedBytes -= queued.length;
      this.#readAhead.budget.release(queued.length);
      return Promise.resolve(queued);
    });
    if (chunk === undefined) {
      controller.close();
    } else {
      controller.enqueue(chunk);
    }
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(work);
    this.#lock = run.catch(() => {});
    return run;
  }

  /**
   * The next chunk of the object, or `undefined` at its end. A body that
   * breaks (an error, a stall, an early end) is reopened from `#offset`;
   * consecutive failures without progress are bounded by `attempts`.
   */
  async #next(): Promise<Uint8Array | undefined> {
    const { bucket, key, size } = this.#object;
    if (this.#ended) return undefined;
    for (let failures = 0;;) {
      // Also catches a body that broke after its last byte: a GET from there
      // would be answered 416 Range Not Satisfiable.
      if (this.#body === undefined && this.#offset === size) {
        this.#ended = true;
        return undefined;
      }
      if (this.#signal.aborted) {
        this.#closeBody();
        this.#signal.throwIfAborted();
      }
      try {
        this.#body ??= await this.#open();
        const { done, value } = await this.#readWithin(this.#body);
        if (done) {
          if (this.#offset === size) {
            this.#ended = true;
            this.#closeBody();
            return undefined;
          }
          const early = new Error(
            `the body ended after ${this.#offset} of ${size} bytes`,
          );
          early.name = "TruncatedBody";
          throw early;
        }
        if (this.#offset + value.length > size) {
          throw new RangeError(
            `Cannot read s3://${bucket}/${key}: the listing gave its size as ${size} bytes but it holds more`,
          );
        }
        this.#offset += value.length;
        return value;
      } catch (error) {
        this.#closeBody();
        this.#signal.throwIfAborted();
        if (
          error instanceof RangeError || error instanceof RequestFailedError
        ) {
          throw this.#failure(error);
        }
        failures++;
        if (!isRetryable(error) || failures >= this.#policy.attempts) {
          throw this.#failure(error, failures);
        }
        await sleep(backoffDelay(failures, this.#policy), this.#signal);
      }
    }
  }

  /** GETs the object from `#offset` on, pinned to the ETag once one is known. */
  async #open(): Promise<ReadableStreamDefaultReader<Uint8Array>> {
    const { bucket, key } = this.#object;
    const output = await this.#requests.getObject({
      Bucket: bucket,
      Key: key,
      ...(this.#offset > 0 ? { Range: `bytes=${this.#offset}-` } : {}),
      ...(this.#etag === undefined ? {} : { IfMatch: this.#etag }),
    }, this.#signal);
    this.#etag ??= output.ETag;
    if (output.Body === undefined) {
      throw new TypeError(`GetObject answered without a body`);
    }
    // Cancelling this web stream destroys the SDK's body, and so the connection.
    const stream = output.Body.transformToWebStream() as ReadableStream<
      Uint8Array
    >;
    return stream.getReader();
  }

  /** One read of the body, abandoned (and retried) if it takes longer than the timeout. */
  async #readWithin(
    body: ReadableStreamDefaultReader<Uint8Array>,
  ): Promise<ReadableStreamReadResult<Uint8Array>> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(
          `no bytes arrived for ${this.#policy.timeout} ms`,
        );
        error.name = "TimeoutError";
        reject(error);
      }, this.#policy.timeout);
      onAbort = () => reject(this.#signal.reason);
      if (this.#signal.aborted) onAbort();
      this.#signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([body.read(), stalled]);
    } finally {
      clearTimeout(timer);
      this.#signal.removeEventListener("abort", onAbort!);
    }
  }

  #closeBody(): void {
    const body = this.#body;
    this.#body = undefined;
    body?.cancel().catch(() => {});
  }

  #failure(error: unknown, attempts?: number): Error {
    const { bucket, key, size } = this.#object;
    const cause = unwrap(error);
    if (error instanceof RangeError) return error;
    const target = `s3://${bucket}/${key}`;
    if (errorName(cause) === "PreconditionFailed") {
      return new Error(
        `Cannot read ${target}: it changed after it was listed (its ETag is no longer ${this.#etag})`,
        { cause },
      );
    }
    const detail = error instanceof RequestFailedError
      ? error.message
      : `${describeError(error)} (after ${attempts} attempts)`;
    return new Error(
      `Cannot read ${target} at byte ${this.#offset} of ${size}: ${detail}`,
      { cause },
    );
  }
}
