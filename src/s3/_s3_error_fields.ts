/**
 * What an AWS SDK error says: its HTTP status and S3 error code, and
 * whether it says the object is missing. No SDK import, so that the
 * command's entry point can use it without loading the SDK.
 *
 * @module
 */

import { unwrap } from "./_retry.ts";

/** The HTTP status of an SDK error, or `undefined` when no answer came. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { $metadata } = error as { $metadata?: { httpStatusCode?: unknown } };
  const status = $metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

/** The S3 error code of an SDK error (`NoSuchUpload`, `SlowDown`, ...). */
export function errorName(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { name } = error as { name?: unknown };
  return typeof name === "string" ? name : undefined;
}

/**
 * Whether an SDK error says the object is not there: HeadObject answers a
 * bare 404 (`NotFound`, no body to name a code), GetObject `NoSuchKey`.
 * A `RequestFailedError` is judged by its cause.
 */
export function isMissingObject(error: unknown): boolean {
  const inner = unwrap(error);
  const name = errorName(inner);
  return httpStatus(inner) === 404 || name === "NotFound" ||
    name === "NoSuchKey";
}
