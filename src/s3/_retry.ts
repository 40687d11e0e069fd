/**
 * The retry state machine: which failures are worth another attempt, how long
 * to wait before it, and how long one attempt may take.
 *
 * @module
 */

import { describeError } from "../_errors.ts";
import type { RetryNotice } from "./retry_options.ts";

// Describing errors is shared by every area; re-exported for the upload's modules.
export { describeError, reasonOf } from "../_errors.ts";

/** Resolved retry settings; see `RetryOptions` for their meaning. */
export interface RetryPolicy {
  attempts: number;
  maxTime: number;
  baseDelay: number;
  maxDelay: number;
  timeout: number;
  timeoutPerMiB: number;
  onRetry?: (notice: RetryNotice) => void;
}

/** What a retried operation may plug in; tests replace time and chance. */
export interface RetryHooks {
  /** Waits `ms` milliseconds, or rejects as soon as `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** A number in [0, 1), for jitter. */
  random?: () => number;
  /** The time in milliseconds, for `maxTime`. */
  now?: () => number;
}

/** A request that failed for good: the last error and how many attempts it took. */
export class RequestFailedError extends Error {
  /** The operation's name, e.g. `UploadPart`. */
  readonly operation: string;
  /** Attempts made, the first included. */
  readonly attempts: number;
  /** Milliseconds from the first attempt's start to the last one's failure. */
  readonly elapsed: number;

  constructor(
    operation: string,
    attempts: number,
    cause: unknown,
    elapsed = 0,
  ) {
    const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
    const over = elapsed < 1_000
      ? ""
      : ` over ${Math.round(elapsed / 1_000)} s`;
    super(
      `${operation} failed after ${tries}${over}: ${describeError(cause)}`,
      {
        cause,
      },
    );
    this.name = "RequestFailedError";
    this.operation = operation;
    this.attempts = attempts;
    this.elapsed = elapsed;
  }
}

/** The error a request failed with, under its `RequestFailedError` wrapper if any. */
export function unwrap(error: unknown): unknown {
  return error instanceof RequestFailedError ? error.cause : error;
}

const MIB = 1024 * 1024;

/** HTTP statuses that say "try again": throttled, or the server failed. */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** S3 error codes that say "try again", whatever their status. */
const RETRYABLE_CODES = new Set([
  "BadDigest", // the bytes were damaged on the way: send them again
  "InternalError",
  "RequestTimeout",
  "RequestTimeoutException",
  "ServiceUnavailable",
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "TimeoutError",
  "PartChecksumMismatch",
]);

/**
 * Errors without an HTTP status that are still permanent: configuration, not
 * transport, and S3's own refusals when a client (or a test double) reports
 * them without a status. (Not TypeError: fetch-based request handlers report
 * a dropped connection as `TypeError: Failed to fetch`.)
 */
const PERMANENT_CODES = new Set([
  "CredentialsProviderError",
  "RangeError",
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "NoSuchBucket",
  "NoSuchKey",
  "NoSuchUpload",
  "InvalidPart",
  "InvalidPartOrder",
  "EntityTooSmall",
  "InvalidArgument",
  "InvalidRequest",
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Whether an attempt that threw `error` is worth retrying: throttling, 5xx
 * (but 501 Not Implemented), timeouts and transport failures (no HTTP status
 * at all, e.g. a dropped connection) are; 4xx answers such as `AccessDenied`
 * or `NoSuchBucket` are not.
 */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { name, code, $metadata } = error as ErrorShape;
  if (typeof name === "string" && RETRYABLE_CODES.has(name)) return true;
  if (typeof code === "string" && RETRYABLE_CODES.has(code)) return true;
  const status = $metadata?.httpStatusCode;
  if (typeof status === "number") return RETRYABLE_STATUSES.has(status);
  return !(typeof name === "string" && PERMANENT_CODES.has(name));
}

/**
 * The backoff before attempt `failedAttempts + 1`: "equal jitter", half the
 * exponential delay plus a random share of the other half, so that retries
 * from many parts spread out yet never come back at once.
 */
export function backoffDelay(
  failedAttempts: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    policy.maxDelay,
    policy.baseDelay * 2 ** (failedAttempts - 1),
  );
  return Math.floor(ceiling / 2 + random() * ceiling / 2);
}

/** How long one attempt sending `bodyBytes` may take. */
export function attemptTimeout(policy: RetryPolicy, bodyBytes: number): number {
  return policy.timeout + Math.ceil(bodyBytes / MIB * policy.timeoutPerMiB);
}

/** Waits `ms` milliseconds unless `signal` aborts first, clearing its timer either way. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, fails with an error not worth retrying,
 * `policy.attempts` attempts have failed, or the next attempt would begin
 * more than `policy.maxTime` milliseconds after the first; then throws a
 * {@linkcode RequestFailedError} carrying the last error. Each attempt gets a
 * signal that aborts on `signal` or when the attempt outlives its timeout
 * (a `TimeoutError`, retried like any transient failure). An abort of
 * `signal` stops at once and rethrows the attempt's error as it is.
 */
export async function withRetries<T>(
  operation: string,
  policy: RetryPolicy,
  signal: AbortSignal,
  bodyBytes: number,
  attempt: (signal: AbortSignal, attemptNumber: number) => Promise<T>,
  hooks: RetryHooks = {},
): Promise<T> {
  const { sleep: wait = sleep, random = Math.random, now = Date.now } = hooks;
  const limit = attemptTimeout(policy, bodyBytes);
  const started = now();
  for (let attemptNumber = 1;; attemptNumber++) {
    signal.throwIfAborted();
    const attemptController = new AbortController();
    const onAbort = () => attemptController.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => {
      const timeout = new Error(
        `${operation} did not finish within ${limit} ms`,
      );
      timeout.name = "TimeoutError";
      attemptController.abort(timeout);
    }, limit);
    try {
      return await attempt(attemptController.signal, attemptNumber);
    } catch (caught) {
      if (signal.aborted) throw caught;
      // A timed-out attempt surfaces as the client's own AbortError; report the timeout instead.
      const error = attemptController.signal.aborted
        ? attemptController.signal.reason
        : caught;
      const delay = backoffDelay(attemptNumber, policy, random);
      const elapsed = now() - started;
      if (
        !isRetryable(error) || attemptNumber >= policy.attempts ||
        elapsed + delay > policy.maxTime
      ) {
        throw new RequestFailedError(operation, attemptNumber, error, elapsed);
      }
      policy.onRetry?.({
        operation,
        attempt: attemptNumber,
        attempts: policy.attempts,
        delay,
        reason: describeError(error),
        error,
      });
      await wait(delay, signal);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
  }
}
