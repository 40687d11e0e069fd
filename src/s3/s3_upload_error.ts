/**
 * The error an upload to S3 rejects with.
 *
 * @module
 */

/**
 * What an {@linkcode S3UploadError} names besides its message.
 *
 * @example The fields an error carries
 * ```ts
 * import assert from "node:assert/strict";
 * import { S3UploadError, type S3UploadErrorOptions } from "@zipstream/zipstream/s3";
 *
 * const options: S3UploadErrorOptions = {
 *   bucket: "exports",
 *   key: "a.zip",
 *   uploadId: "u-1",
 *   partNumber: 3,
 *   cause: new Error("socket hang up"),
 * };
 * const error = new S3UploadError("Cannot upload part 3", options);
 * assert.equal(error.partNumber, 3);
 * assert.equal(error.uploadKept, false);
 * ```
 */
export interface S3UploadErrorOptions {
  /** The target bucket. */
  bucket: string;
  /** The target key. */
  key: string;
  /** The multipart upload's ID, if one had been created. */
  uploadId?: string;
  /** The part that failed, if the failure belongs to one part. */
  partNumber?: number;
  /**
   * Whether the multipart upload was left in place, to be resumed or aborted.
   *
   * @default {false}
   */
  uploadKept?: boolean;
  /**
   * What the failure left on the server.
   *
   * @default {"pending"} when `uploadId` is given, else `"nothing-left"`
   */
  outcome?: FailedUploadOutcome;
  /**
   * Whether the object may have been stored after all: a completion or
   * PutObject was sent, its answer was lost, and the server could not be
   * asked (HeadObject) what it did.
   *
   * @default {false}
   */
  objectUnknown?: boolean;
  /** What went wrong underneath: an SDK error, the source's error, the abort reason. */
  cause?: unknown;
}

/**
 * What a failed upload left on the server:
 * - `"nothing-left"`: the object was not stored and no multipart upload of
 *   this run remains, as the server confirmed (ListParts answers that the
 *   aborted upload is gone), or none was ever created;
 * - `"pending"`: the multipart upload `uploadId` still exists, kept on
 *   purpose (`uploadKept`) or because it could not be aborted or shown gone
 *   (it holds parts that are billed until it is resumed or aborted); or the
 *   server could not be asked whether a completion (or PutObject) whose
 *   answer was lost stored the object. The message says which.
 */
export type FailedUploadOutcome = "nothing-left" | "pending";

/**
 * An upload to S3 that did not store the object, or could not find out
 * whether it did. By the time it is thrown, the multipart upload that had
 * been started was aborted and the server confirmed it gone (`outcome` is
 * `"nothing-left"`), unless `outcome` is `"pending"`: the abort could not be
 * confirmed within the cleanup budget (the message says why), the server
 * could not be asked whether a completion (or PutObject) whose answer was
 * lost stored the object, or the upload was kept on purpose (`uploadKept`):
 * with `abortOnFailure: false` for a later resume, or because a resumed
 * upload's body differs from its checkpoint (`partNumber` names the part
 * that differs).
 *
 * @example Catching a failed upload
 * ```ts
 * import assert from "node:assert/strict";
 * import { S3UploadError } from "@zipstream/zipstream/s3";
 *
 * const error = new S3UploadError("Cannot upload s3://b/k: part 3 failed", {
 *   bucket: "b",
 *   key: "k",
 *   uploadId: "abc",
 *   partNumber: 3,
 *   cause: new Error("SlowDown"),
 * });
 * assert.ok(error instanceof Error);
 * assert.equal(error.name, "S3UploadError");
 * assert.equal(error.partNumber, 3);
 * assert.equal(error.uploadKept, false);
 * assert.equal(error.outcome, "pending");
 * assert.equal((error.cause as Error).message, "SlowDown");
 * ```
 */
export class S3UploadError extends Error {
  /** The target bucket. */
  readonly bucket: string;
  /** The target key. */
  readonly key: string;
  /** The multipart upload's ID, or `undefined` if none was created (single PutObject). */
  readonly uploadId: string | undefined;
  /** The part that failed, or `undefined` if the failure was not one part's. */
  readonly partNumber: number | undefined;
  /**
   * Whether the multipart upload `uploadId` still exists, kept on purpose:
   * its last checkpoint can resume it, or it should be aborted.
   */
  readonly uploadKept: boolean;
  /**
   * What the failure left on the server: nothing (checked with the server),
   * or the multipart upload `uploadId`, still pending.
   */
  readonly outcome: FailedUploadOutcome;
  /**
   * Whether the object may have been stored after all: a completion or
   * PutObject was sent, its answer was lost, and HeadObject could not tell
   * what it did. `outcome` is then `"pending"`; with no `uploadId` (a
   * single PutObject) there is no upload to abort, only the object to look
   * for.
   */
  readonly objectUnknown: boolean;

  /**
   * Makes the error; uploads throw it, callers rarely need to.
   *
   * @param message What was attempted and what went wrong.
   * @param options The bucket, key, upload ID, part number and cause.
   */
  constructor(message: string, options: S3UploadErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "S3UploadError";
    this.bucket = options.bucket;
    this.key = options.key;
    this.uploadId = options.uploadId;
    this.partNumber = options.partNumber;
    this.uploadKept = options.uploadKept ?? false;
    this.outcome = options.outcome ??
      (options.uploadId === undefined ? "nothing-left" : "pending");
    this.objectUnknown = options.objectUnknown ?? false;
  }
}
