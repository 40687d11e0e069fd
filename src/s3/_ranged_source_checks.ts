/**
 * The checks of what S3 ranged sources are made from and read with: an
 * object's location, the record a plan kept of it, a range of its bytes, and
 * the options of a listing planned as entries. Each refusal names the object
 * (or the listing) when its bucket and key (or prefix) allow.
 *
 * @module
 */

import { bareEtag } from "./_etag.ts";
import type { HeadLocation } from "./_object_head.ts";
import {
  checkClientAndBucket,
  checkInteger,
  checkListingOptions,
  type Fail,
  failer,
  show,
} from "./_option_checks.ts";
import type { S3ClientLike } from "./s3_client_like.ts";
import type {
  S3ObjectLocation,
  S3PlanEntriesOptions,
  S3RangedSourceInit,
} from "./s3_ranged_source.ts";

/**
 * Checks the record `new S3RangedSource(init)` is made from.
 *
 * @throws {TypeError} A field of the wrong type.
 * @throws {RangeError} `size` or `crc32` out of range.
 */
export function checkSourceInit(init: S3RangedSourceInit): void {
  if (typeof init !== "object" || init === null) {
    throw new TypeError(
      `Cannot make an S3 ranged source: expected an object with client, bucket, key, size and etag but got ${
        show(init)
      }`,
    );
  }
  const { client, bucket, key, versionId, size, etag, crc32, lastModified } =
    init;
  const fail = failTo(bucket, key, "use");
  checkLocation(client, { bucket, key, versionId }, fail);
  checkInteger("size", size, 0, Number.MAX_SAFE_INTEGER, fail);
  if (typeof etag !== "string" || bareEtag(etag) === "") {
    fail(TypeError, "etag", "a non-empty string", etag);
  }
  if (crc32 !== undefined) {
    checkInteger("crc32", crc32, 0, 0xffffffff, fail);
  }
  if (
    lastModified !== undefined &&
    !(lastModified instanceof Date && !Number.isNaN(lastModified.getTime()))
  ) {
    fail(TypeError, "lastModified", "a valid Date", lastModified);
  }
}

/**
 * The location `s3RangedSource` sends HeadObject for, checked with its
 * client.
 *
 * @throws {TypeError} A location field of the wrong type.
 */
export function resolveHeadLocation(
  client: S3ClientLike,
  location: S3ObjectLocation,
): HeadLocation {
  if (typeof location !== "object" || location === null) {
    throw new TypeError(
      `Cannot read an S3 object's size and checksum: expected a location with bucket and key but got ${
        show(location)
      }`,
    );
  }
  const { bucket, key, versionId } = location;
  checkLocation(client, location, failTo(bucket, key, "head"));
  return { bucket, key, versionId };
}

/**
 * Checks a range `read(start, end)` is asked for.
 *
 * @throws {RangeError} unless `0 <= start <= end <= size`.
 */
export function checkRange(
  object: { bucket: string; key: string; size: number },
  start: number,
  end: number,
): void {
  if (
    !Number.isSafeInteger(start) || !Number.isSafeInteger(end) ||
    start < 0 || start > end || end > object.size
  ) {
    throw new RangeError(
      `Cannot read s3://${object.bucket}/${object.key}: expected a range of whole numbers with 0 <= start <= end <= ${object.size} but got ${
        show(start)
      } to ${show(end)}`,
    );
  }
}

/**
 * `s3PlanEntries`'s options with their defaults, checked.
 *
 * @throws {TypeError} An option of the wrong type.
 * @throws {RangeError} `concurrency` out of range.
 */
export function resolvePlanOptions(
  client: S3ClientLike,
  options: S3PlanEntriesOptions,
): Required<S3PlanEntriesOptions> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot list S3 objects: expected options with bucket but got ${
        show(options)
      }`,
    );
  }
  const { bucket, prefix = "", concurrency = 16 } = options;
  const fail = checkListingOptions(client, bucket, prefix);
  checkInteger("concurrency", concurrency, 1, 256, fail);
  return { bucket, prefix, concurrency };
}

function failTo(bucket: unknown, key: unknown, verb: string): Fail {
  return failer(
    typeof bucket === "string" && typeof key === "string"
      ? `${verb} s3://${bucket}/${key}`
      : `${verb} an S3 object`,
  );
}

function checkLocation(
  client: unknown,
  location: { bucket: unknown; key: unknown; versionId?: unknown },
  fail: Fail,
): void {
  checkClientAndBucket(client, location.bucket, fail);
  if (typeof location.key !== "string" || location.key === "") {
    fail(TypeError, "key", "a non-empty string", location.key);
  }
  if (
    location.versionId !== undefined &&
    (typeof location.versionId !== "string" || location.versionId === "")
  ) {
    fail(TypeError, "versionId", "a non-empty string", location.versionId);
  }
}
