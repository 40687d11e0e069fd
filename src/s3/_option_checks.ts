/**
 * The checks every options object of `src/s3` runs: numbers in range,
 * records of strings, retry settings; rejected values are shown with `show`
 * from `src/_errors.ts`.
 *
 * @module
 */

import type { RetryOptions } from "./upload_options.ts";
import type { RetryPolicy } from "./_retry.ts";
import { show } from "../_errors.ts";

// The s3 modules that render values take `show` from here with the checks.
export { show } from "../_errors.ts";

/** The most attempts `RetryOptions.attempts` accepts. */
export const MAX_ATTEMPTS = 100;

/** Throws the error for option `name`: expected `expected`, got `value`. */
export type Fail = (
  Kind: typeof TypeError | typeof RangeError,
  name: string,
  expected: string,
  value: unknown,
) => never;

/** Checks the two options every S3 call needs: a client with `send()` and a bucket name. */
export function checkClientAndBucket(
  client: unknown,
  bucket: unknown,
  fail: Fail,
): void {
  if (
    typeof client !== "object" || client === null ||
    typeof (client as { send?: unknown }).send !== "function"
  ) {
    fail(TypeError, "client", "an S3Client (an object with send())", client);
  }
  if (typeof bucket !== "string" || bucket === "") {
    fail(TypeError, "bucket", "a non-empty string", bucket);
  }
}

/**
 * Checks the options of a listing of `s3://bucket/prefix` (a client, a
 * bucket and a string prefix), and gives the {@linkcode Fail} that words
 * the listing's other refusals.
 */
export function checkListingOptions(
  client: unknown,
  bucket: unknown,
  prefix: unknown,
): Fail {
  const fail = failer(
    typeof bucket === "string" && typeof prefix === "string"
      ? `list s3://${bucket}/${prefix}`
      : "list S3 objects",
  );
  checkClientAndBucket(client, bucket, fail);
  if (typeof prefix !== "string") {
    fail(TypeError, "prefix", "a string", prefix);
  }
  return fail;
}

/** A {@linkcode Fail} whose messages begin with `Cannot <attempt>: `. */
export function failer(attempt: string): Fail {
  return (Kind, name, expected, value) => {
    throw new Kind(
      `Cannot ${attempt}: expected option "${name}" to be ${expected} but got ${
        show(value)
      }`,
    );
  };
}

export function checkInteger(
  name: string,
  value: unknown,
  min: number,
  max: number,
  fail: Fail,
): void {
  if (typeof value !== "number") {
    fail(TypeError, name, "a number", value);
  } else if (!Number.isSafeInteger(value) || value < min || value > max) {
    fail(RangeError, name, `an integer from ${min} to ${max}`, value);
  }
}

export function checkNumber(
  name: string,
  value: unknown,
  min: number,
  fail: Fail,
): void {
  if (typeof value !== "number") {
    fail(TypeError, name, "a number", value);
  } else if (!Number.isFinite(value) || value < min) {
    fail(RangeError, name, `a finite number of at least ${min}`, value);
  }
}

export function isStringRecord(
  value: unknown,
): value is Record<string, string> {
  return typeof value === "object" && value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === "string");
}

/** The defaults of `retry`, documented on `RetryOptions`: enough to ride out a 30-second outage. */
export const WORK_RETRY: RetryPolicy = {
  attempts: 20,
  maxTime: 40_000,
  baseDelay: 250,
  maxDelay: 5_000,
  timeout: 60_000,
  timeoutPerMiB: 1_000,
};

/** The defaults of `cleanupRetry`, documented on `RetryOptions`: 5 minutes of patience. */
export const CLEANUP_RETRY: RetryPolicy = {
  attempts: 60,
  maxTime: 300_000,
  baseDelay: 500,
  maxDelay: 15_000,
  timeout: 30_000,
  timeoutPerMiB: 1_000,
};

/**
 * Checks the retry options called `name` and fills in `defaults` (one of
 * {@linkcode WORK_RETRY} and {@linkcode CLEANUP_RETRY}).
 */
export function resolveRetryPolicy(
  retry: unknown,
  fail: Fail,
  name: "retry" | "cleanupRetry" = "retry",
  defaults: RetryPolicy = WORK_RETRY,
): RetryPolicy {
  if (typeof retry !== "object" || retry === null) {
    fail(TypeError, name, "an object", retry);
  }
  const {
    attempts = defaults.attempts,
    maxTime = defaults.maxTime,
    baseDelay = defaults.baseDelay,
    maxDelay = defaults.maxDelay,
    timeout = defaults.timeout,
    timeoutPerMiB = defaults.timeoutPerMiB,
    onRetry,
  } = retry as RetryOptions;
  checkInteger(`${name}.attempts`, attempts, 1, MAX_ATTEMPTS, fail);
  checkNumber(`${name}.maxTime`, maxTime, 0, fail);
  checkNumber(`${name}.baseDelay`, baseDelay, 0, fail);
  checkNumber(`${name}.maxDelay`, maxDelay, baseDelay, fail);
  checkNumber(`${name}.timeout`, timeout, 1, fail);
  checkNumber(`${name}.timeoutPerMiB`, timeoutPerMiB, 0, fail);
  if (onRetry !== undefined && typeof onRetry !== "function") {
    fail(TypeError, `${name}.onRetry`, "a function", onRetry);
  }
  return {
    attempts,
    maxTime,
    baseDelay,
    maxDelay,
    timeout,
    timeoutPerMiB,
    ...(onRetry === undefined ? {} : { onRetry }),
  };
}
