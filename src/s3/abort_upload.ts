/**
 * Discarding a multipart upload that will not be resumed, from its IDs or
 * its checkpoint, with the server's word that it is gone.
 *
 * @module
 */

import { reasonOf, show } from "../_errors.ts";
import { MultipartProtocol } from "./_multipart_protocol.ts";
import {
  checkClientAndBucket,
  CLEANUP_RETRY,
  type Fail,
  failer,
  resolveRetryPolicy,
} from "./_option_checks.ts";
import { completedEarlier } from "./_resume_check.ts";
import type { RetryPolicy } from "./_retry.ts";
import { unwrap } from "./_retry.ts";
import { S3Requests } from "./_s3_requests.ts";
import type { S3ClientLike } from "./s3_client_like.ts";
import { S3UploadError } from "./s3_upload_error.ts";
import {
  parseUploadCheckpoint,
  type UploadCheckpoint,
} from "./upload_checkpoint.ts";
import type { RetryOptions } from "./upload_options.ts";

/**
 * Which upload {@linkcode abortUpload} discards, and how patiently.
 *
 * @example Abort the upload a stored checkpoint records
 * ```ts
 * import type { AbortUploadOptions, S3ClientLike, UploadCheckpoint } from "@zipstream/zipstream/s3";
 *
 * function discard(client: S3ClientLike, checkpoint: UploadCheckpoint): AbortUploadOptions {
 *   return { client, checkpoint, retry: { maxTime: 60_000 } };
 * }
 * ```
 */
export interface AbortUploadOptions {
  /** The client to send the requests with, e.g. an `S3Client`. */
  client: S3ClientLike;
  /**
   * The upload's bucket; taken from `checkpoint` when one is given.
   *
   * @default {checkpoint.bucket}
   */
  bucket?: string;
  /**
   * The upload's key; taken from `checkpoint` when one is given.
   *
   * @default {checkpoint.key}
   */
  key?: string;
  /**
   * The upload's ID; taken from `checkpoint` when one is given.
   *
   * @default {checkpoint.uploadId}
   */
  uploadId?: string;
  /**
   * The upload's last checkpoint (from `onCheckpoint`): it names the upload,
   * and it tells an upload an earlier run completed (the object at the key
   * is the one its parts make) from one that is merely gone.
   *
   * @default {undefined}
   */
  checkpoint?: UploadCheckpoint;
  /**
   * Retry and timeout settings of every request.
   *
   * @default {{}} (the `cleanupRetry` defaults of {@linkcode RetryOptions}: 5 minutes of patience)
   */
  retry?: RetryOptions;
  /**
   * Stops the requests that come before the abort. Once
   * AbortMultipartUpload is sent, it and the check that the upload is gone
   * run to their end under `retry`, so that an abort is never left
   * unconfirmed.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * What {@linkcode abortUpload} found and did.
 *
 * @example Say what became of the upload
 * ```ts
 * import assert from "node:assert/strict";
 * import type { AbortUploadResult } from "@zipstream/zipstream/s3";
 *
 * const say = ({ outcome, uploadId }: AbortUploadResult) =>
 *   outcome === "completed"
 *     ? `upload ${uploadId} was completed: the object is stored`
 *     : `upload ${uploadId} is gone`;
 * assert.equal(
 *   say({ bucket: "b", key: "k", uploadId: "u", outcome: "aborted" }),
 *   "upload u is gone",
 * );
 * ```
 */
export interface AbortUploadResult {
  /** The upload's bucket. */
  bucket: string;
  /** The upload's key. */
  key: string;
  /** The upload's ID. */
  uploadId: string;
  /**
   * - `"aborted"`: it existed, was aborted, and ListParts confirms it gone;
   * - `"already-gone"`: it did not exist any more (ListParts or the abort
   *   answered `NoSuchUpload` or `NoSuchKey`) and, when a checkpoint was
   *   given, the object at the key is not the one its parts make;
   * - `"completed"`: a checkpoint was given and the object at the key is the
   *   one its parts make: an earlier run completed the upload.
   */
  outcome: "aborted" | "already-gone" | "completed";
}

/**
 * Aborts a multipart upload, so that its parts are no longer stored and
 * billed, and makes sure with ListParts that it is gone. Give the upload's
 * checkpoint when there is one: an upload an earlier run completed is then
 * reported as such, and left alone.
 *
 * @param options The client and the upload: `checkpoint`, or `bucket`,
 * `key` and `uploadId`.
 * @returns The upload, and whether it was aborted, already gone, or completed.
 * @throws {TypeError} An option of the wrong type, named in the message.
 * @throws {RangeError} An option out of range, or `bucket`, `key` or
 * `uploadId` other than the checkpoint's.
 * @throws {S3UploadError} The upload could not be shown gone (`outcome`
 * `"pending"`): the message says which request failed and how the server
 * answered.
 *
 * @example Abort an upload (a client double stands in for S3)
 * ```ts
 * import assert from "node:assert/strict";
 * import { AbortMultipartUploadCommand, ListPartsCommand } from "@aws-sdk/client-s3";
 * import { abortUpload } from "@zipstream/zipstream/s3";
 *
 * let pending = true;
 * const noSuchUpload = () =>
 *   Promise.reject(Object.assign(new Error("The upload does not exist"), {
 *     name: "NoSuchUpload",
 *     $metadata: { httpStatusCode: 404 },
 *   }));
 * const client = {
 *   send(command: object) {
 *     if (command instanceof AbortMultipartUploadCommand) pending = false;
 *     if (command instanceof ListPartsCommand && !pending) return noSuchUpload();
 *     return Promise.resolve({});
 *   },
 * };
 * const options = { client, bucket: "exports", key: "big.zip", uploadId: "u-1" };
 * assert.equal((await abortUpload(options)).outcome, "aborted");
 * assert.equal((await abortUpload(options)).outcome, "already-gone");
 * ```
 */
export async function abortUpload(
  options: AbortUploadOptions,
): Promise<AbortUploadResult> {
  const { client, bucket, key, uploadId, checkpoint, policy, signal } =
    resolveOptions(options);
  const protocol = new MultipartProtocol(
    {
      work: new S3Requests(client, policy),
      cleanup: new S3Requests(client, policy),
    },
    { bucket, key },
  );
  const upload = { bucket, key, uploadId };
  const pending = (what: string, cause: unknown) =>
    new S3UploadError(
      `Cannot abort upload ID ${uploadId} of s3://${bucket}/${key}: ${what}`,
      { ...upload, outcome: "pending", cause },
    );
  // The object at the key is what an earlier run's completion left; only a
  // checkpoint's parts can tell it.
  const completed = async () =>
    checkpoint !== undefined &&
    await completedEarlier(checkpoint, protocol, signal) !== undefined;

  // Asked first, so that an upload that was gone all along is told apart
  // from one this call aborted. One part's worth of ListParts is enough.
  let exists;
  try {
    exists = await protocol.exists(uploadId, signal);
  } catch (error) {
    if (signal.aborted) {
      throw pending(
        `stopped by the signal before the upload was shown gone: ${
          reasonOf(signal.reason)
        }; it may remain, with its parts`,
        signal.reason,
      );
    }
    throw pending(
      `ListParts could not tell whether it still exists: ${
        reasonOf(error)
      }; it may remain, with its parts`,
      unwrap(error),
    );
  }
  if (!exists) {
    return {
      ...upload,
      outcome: await completed() ? "completed" : "already-gone",
    };
  }
  if (signal.aborted) {
    throw pending(
      `stopped by the signal before AbortMultipartUpload was sent: ${
        reasonOf(signal.reason)
      }; it remains, with its parts`,
      signal.reason,
    );
  }
  try {
    await protocol.abort(uploadId);
  } catch (error) {
    // Swift goes on listing the parts of a completed upload and answers its
    // abort with NoSuchKey: the object tells whether it was completed.
    if (await completed()) return { ...upload, outcome: "completed" };
    throw pending(
      `${reasonOf(error)}; it may remain, with its parts`,
      unwrap(error),
    );
  }
  return { ...upload, outcome: "aborted" };
}

interface ResolvedOptions {
  client: S3ClientLike;
  bucket: string;
  key: string;
  uploadId: string;
  checkpoint: UploadCheckpoint | undefined;
  policy: RetryPolicy;
  signal: AbortSignal;
}

/** Validates the options at once and names the upload they describe. */
function resolveOptions(options: AbortUploadOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot abort an upload: expected an options object with client and either checkpoint or bucket, key and uploadId but got ${
        show(options)
      }`,
    );
  }
  const { client, checkpoint, retry = {}, signal } = options;
  const recorded = checkpoint === undefined ? undefined : parsed(checkpoint);
  const bucket = recorded?.bucket ?? options.bucket;
  const key = recorded?.key ?? options.key;
  const uploadId = recorded?.uploadId ?? options.uploadId;
  const fail = failer(
    typeof bucket === "string" && typeof key === "string" &&
      typeof uploadId === "string"
      ? `abort upload ID ${uploadId} of s3://${bucket}/${key}`
      : "abort an upload",
  );
  checkClientAndBucket(client, bucket, fail);
  for (const [name, value] of [["key", key], ["uploadId", uploadId]] as const) {
    if (typeof value !== "string" || value === "") {
      fail(TypeError, name, "a non-empty string (or a checkpoint)", value);
    }
  }
  if (recorded !== undefined) checkSameUpload(options, recorded, fail);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    fail(TypeError, "signal", "an AbortSignal", signal);
  }
  const policy = resolveRetryPolicy(retry, fail, "retry", CLEANUP_RETRY);
  return {
    client,
    bucket: bucket as string,
    key: key as string,
    uploadId: uploadId as string,
    checkpoint: recorded,
    policy,
    // Never aborted when none is given: the requests run to their end.
    signal: signal ?? new AbortController().signal,
  };
}

function parsed(checkpoint: unknown): UploadCheckpoint {
  try {
    return parseUploadCheckpoint(checkpoint);
  } catch (error) {
    const Kind = error instanceof RangeError ? RangeError : TypeError;
    throw new Kind(
      `Cannot abort an upload: invalid option "checkpoint": ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
}

/** Refuses a bucket, key or upload ID given beside a checkpoint that names another. */
function checkSameUpload(
  options: AbortUploadOptions,
  checkpoint: UploadCheckpoint,
  fail: Fail,
): void {
  for (const name of ["bucket", "key", "uploadId"] as const) {
    const given = options[name];
    if (given !== undefined && given !== checkpoint[name]) {
      fail(
        RangeError,
        name,
        `the checkpoint's ${show(checkpoint[name])} or left out`,
        given,
      );
    }
  }
}
