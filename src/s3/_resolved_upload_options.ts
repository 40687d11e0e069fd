/**
 * Checks `UploadOptions` and fills in their defaults, once, before anything
 * is sent.
 *
 * @module
 */

import type { StorageClass } from "@aws-sdk/client-s3";
import type { S3ClientLike } from "./s3_client_like.ts";
import type { UploadOptions, UploadProgress } from "./upload_options.ts";
import type { RetryPolicy } from "./_retry.ts";
import {
  DEFAULT_PART_SIZE,
  MAX_PART_SIZE,
  MAX_UPLOAD_SIZE,
  MIN_PART_SIZE,
} from "./_part_size_plan.ts";

/** S3's longest key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
const MAX_CONCURRENCY = 64;
const MAX_ATTEMPTS = 100;

/** Every option checked, every default filled in. */
export interface ResolvedUploadOptions {
  client: S3ClientLike;
  bucket: string;
  key: string;
  partSize: number;
  concurrency: number;
  contentLength: number | undefined;
  signal: AbortSignal | undefined;
  onProgress: ((progress: UploadProgress) => void) | undefined;
  contentType: string;
  contentDisposition: string | undefined;
  metadata: Record<string, string> | undefined;
  tagging: string | undefined;
  storageClass: StorageClass | undefined;
  retry: RetryPolicy;
}

/**
 * Validates `options` and returns them with defaults.
 *
 * @throws {TypeError} An option of the wrong type, naming the option and value.
 * @throws {RangeError} An option out of range, naming the option and value.
 */
export function resolveUploadOptions(
  options: UploadOptions,
): ResolvedUploadOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot upload to S3: expected an options object with client, bucket and key but got ${
        show(options)
      }`,
    );
  }
  const {
    client,
    bucket,
    key,
    partSize = DEFAULT_PART_SIZE,
    concurrency = 4,
    contentLength,
    signal,
    onProgress,
    contentType = "application/zip",
    contentDisposition,
    metadata,
    tagging,
    storageClass,
    retry = {},
  } = options;
  const target = typeof bucket === "string" && typeof key === "string"
    ? `s3://${bucket}/${key}`
    : "S3";
  const fail = (
    Kind: typeof TypeError | typeof RangeError,
    name: string,
    expected: string,
    value: unknown,
  ): never => {
    throw new Kind(
      `Cannot upload to ${target}: expected option "${name}" to be ${expected} but got ${
        show(value)
      }`,
    );
  };

  if (
    typeof client !== "object" || client === null ||
    typeof client.send !== "function"
  ) {
    fail(TypeError, "client", "an S3Client (an object with send())", client);
  }
  if (typeof bucket !== "string" || bucket === "") {
    fail(TypeError, "bucket", "a non-empty string", bucket);
  }
  if (typeof key !== "string" || key === "") {
    fail(TypeError, "key", "a non-empty string", key);
  }
  if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) {
    fail(
      RangeError,
      "key",
      `at most ${MAX_KEY_BYTES} bytes of UTF-8`,
      `${key.slice(0, 40)}... (${new TextEncoder().encode(key).length} bytes)`,
    );
  }
  checkInteger("partSize", partSize, MIN_PART_SIZE, MAX_PART_SIZE, fail);
  checkInteger("concurrency", concurrency, 1, MAX_CONCURRENCY, fail);
  if (contentLength !== undefined) {
    checkInteger("contentLength", contentLength, 0, MAX_UPLOAD_SIZE, fail);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    fail(TypeError, "signal", "an AbortSignal", signal);
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    fail(TypeError, "onProgress", "a function", onProgress);
  }
  if (typeof contentType !== "string" || contentType === "") {
    fail(TypeError, "contentType", "a non-empty string", contentType);
  }
  if (
    contentDisposition !== undefined && typeof contentDisposition !== "string"
  ) {
    fail(TypeError, "contentDisposition", "a string", contentDisposition);
  }
  if (metadata !== undefined && !isStringRecord(metadata)) {
    fail(TypeError, "metadata", "a record of strings", metadata);
  }
  if (
    tagging !== undefined && typeof tagging !== "string" &&
    !isStringRecord(tagging)
  ) {
    fail(
      TypeError,
      "tagging",
      "a query string or a record of strings",
      tagging,
    );
  }
  if (
    storageClass !== undefined &&
    (typeof storageClass !== "string" || storageClass.length === 0)
  ) {
    fail(TypeError, "storageClass", "a non-empty string", storageClass);
  }
  if (typeof retry !== "object" || retry === null) {
    fail(TypeError, "retry", "an object", retry);
  }
  const {
    attempts = 5,
    baseDelay = 250,
    maxDelay = 20_000,
    timeout = 60_000,
    timeoutPerMiB = 1_000,
  } = retry;
  checkInteger("retry.attempts", attempts, 1, MAX_ATTEMPTS, fail);
  checkNumber("retry.baseDelay", baseDelay, 0, fail);
  checkNumber("retry.maxDelay", maxDelay, baseDelay, fail);
  checkNumber("retry.timeout", timeout, 1, fail);
  checkNumber("retry.timeoutPerMiB", timeoutPerMiB, 0, fail);

  return {
    client,
    bucket,
    key,
    partSize,
    concurrency,
    contentLength,
    signal,
    onProgress,
    contentType,
    contentDisposition,
    metadata: metadata === undefined ? undefined : { ...metadata },
    tagging: typeof tagging === "object"
      ? new URLSearchParams(tagging).toString()
      : tagging,
    storageClass,
    retry: { attempts, baseDelay, maxDelay, timeout, timeoutPerMiB },
  };
}

type Fail = (
  Kind: typeof TypeError | typeof RangeError,
  name: string,
  expected: string,
  value: unknown,
) => never;

function checkInteger(
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

function checkNumber(
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

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === "string");
}

const SHOWN_LENGTH = 80;

/** A short rendering of a received value for an error message. */
function show(value: unknown): string {
  const text = render(value);
  return text.length > SHOWN_LENGTH
    ? `${text.slice(0, SHOWN_LENGTH)}...`
    : text;
}

function render(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return "an array";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
