/**
 * The retry settings of S3 requests, and what a retry tells.
 *
 * @module
 */

/**
 * How requests that fail for transient reasons (5xx, `SlowDown`, timeouts,
 * dropped connections) are retried. Each request is retried on its own, from
 * bytes the upload still holds, with exponential backoff and jitter: before
 * attempt `n + 1` it waits between half and all of
 * `min(maxDelay, baseDelay * 2 ** (n - 1))` milliseconds. A request stops
 * retrying after `attempts` attempts, or when the next attempt would begin
 * more than `maxTime` milliseconds after its first.
 *
 * An upload has two budgets: `retry` for the work (creating the upload,
 * parts, completion), whose defaults ride out a server that is gone for
 * 30 seconds, and `cleanupRetry` for what follows a failure (aborting the
 * upload and checking it is gone, finding out whether a completion that lost
 * its answer stored the object), whose defaults keep trying for 5 minutes.
 * Neither cuts the other short.
 *
 * The client may retry on its own too (`S3Client`'s `maxAttempts`, default 3);
 * its attempts happen inside each of these.
 *
 * @example Patient retries for a flaky link
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RetryOptions } from "@zipstream/zipstream/s3";
 *
 * const retry: RetryOptions = { attempts: 8, baseDelay: 500, maxDelay: 30_000 };
 * // The longest wait before the last attempt: min(maxDelay, baseDelay * 2 ** 6).
 * assert.equal(Math.min(retry.maxDelay!, retry.baseDelay! * 2 ** 6), 30_000);
 * ```
 */
export interface RetryOptions {
  /**
   * Attempts per request, the first included: 1 means never retry.
   *
   * @default {20} for `retry`, 60 for `cleanupRetry`
   */
  attempts?: number;
  /**
   * Milliseconds after a request's first attempt began within which a retry
   * may still begin.
   *
   * @default {40000} for `retry`, 300000 for `cleanupRetry`
   */
  maxTime?: number;
  /**
   * Milliseconds of backoff before the first retry.
   *
   * @default {250} for `retry`, 500 for `cleanupRetry`
   */
  baseDelay?: number;
  /**
   * Milliseconds that no backoff exceeds.
   *
   * @default {5000} for `retry`, 15000 for `cleanupRetry`
   */
  maxDelay?: number;
  /**
   * Milliseconds one attempt of a request may take, on top of
   * `timeoutPerMiB` for each MiB it sends, before it is abandoned and retried.
   * This catches a server or network that stalls without closing the
   * connection.
   *
   * @default {60000} for `retry`, 30000 for `cleanupRetry`
   */
  timeout?: number;
  /**
   * Milliseconds added to `timeout` for each MiB of request body (1,000: the
   * body may go as slowly as 1 MiB/s).
   *
   * @default {1000}
   */
  timeoutPerMiB?: number;
  /**
   * Told of each failed attempt that is about to be retried, before the
   * wait: so that a caller can show that requests are failing (a server
   * refusing connections, throttling) while the upload rides it out. An
   * error it throws fails the request.
   */
  onRetry?: (notice: RetryNotice) => void;
}

/**
 * A failed attempt of an S3 request that will be retried, as `onRetry`
 * is told of it.
 *
 * @example A line for a log
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RetryNotice } from "@zipstream/zipstream/s3";
 *
 * const line = (n: RetryNotice) =>
 *   `${n.operation} failed (${n.reason}); attempt ${n.attempt + 1} of ${n.attempts} in ${n.delay} ms`;
 * assert.equal(
 *   line({
 *     operation: "UploadPart",
 *     attempt: 1,
 *     attempts: 20,
 *     delay: 250,
 *     reason: "connect ECONNREFUSED 127.0.0.1:9",
 *     error: new Error("connect ECONNREFUSED 127.0.0.1:9"),
 *   }),
 *   "UploadPart failed (connect ECONNREFUSED 127.0.0.1:9); attempt 2 of 20 in 250 ms",
 * );
 * ```
 */
export interface RetryNotice {
  /** The request, as S3 names it: `UploadPart`, `PutObject`, ... */
  operation: string;
  /** The attempt that failed, the first being 1. */
  attempt: number;
  /** The most attempts the request may make (`attempts`). */
  attempts: number;
  /** Milliseconds until the next attempt begins. */
  delay: number;
  /** The failure in one line. */
  reason: string;
  /** The failure itself. */
  error: unknown;
}
