/**
 * One call to stream a body into S3.
 *
 * @module
 */

import type { UploadOptions } from "./upload_options.ts";
import type { PausedUpload, UploadResult } from "./upload_result.ts";
import { UploadSession } from "./_upload_session.ts";

/**
 * Streams `body` into `s3://bucket/key` and reports the object: its ETag,
 * size, number of parts and CRC-32, all computed while streaming. Built on
 * {@linkcode S3UploadStream}; see it for memory, retries and cleanup.
 *
 * @param body The bytes to upload, e.g. `zip(entries)`.
 * @param options Where to upload and how; `client`, `bucket` and `key` are required.
 * Every outcome is checked with the server before it is reported. A
 * completion (or PutObject) whose answer is lost, late, garbled or an error
 * is followed by HeadObject and ListParts: if the object at the key has the
 * size sent and the ETag the parts make, the upload resolves as stored.
 *
 * @returns The uploaded object; `outcome` is `"stored"`, or
 * `"stored-unverified"` when the server said it stored it but HeadObject
 * could not check it (`unverified` says what was not checked). With a
 * `deadline`, a {@linkcode PausedUpload} (`outcome: "paused"`) when it
 * left no time for the next part.
 * @throws {TypeError} An option of the wrong type (the body is cancelled).
 * @throws {RangeError} An option out of range (the body is cancelled).
 * @throws {S3UploadError} The object was not stored. `outcome` is
 * `"nothing-left"` when no multipart upload remains (aborted, and ListParts
 * confirms it gone), or `"pending"` with `uploadId` when one does: kept for
 * resuming (`abortOnFailure: false`, or a resumed body that differs from its
 * checkpoint; see `uploadKept`), or not shown gone within the cleanup
 * budget (`cleanupRetry`); also `"pending"` when a completion (or
 * PutObject) lost its answer and the server could not be asked whether it
 * stored the object.
 *
 * @example Uploading a zip archive (to a client double here; pass an `S3Client` in real use)
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeadObjectCommand } from "@aws-sdk/client-s3";
 * import { uploadToS3 } from "@zipstream/zipstream/s3";
 *
 * const client = {
 *   send: (command: object) =>
 *     Promise.resolve(
 *       command instanceof HeadObjectCommand
 *         ? { ContentLength: 0 }
 *         // The MD5 of no bytes at all.
 *         : { ETag: '"d41d8cd98f00b204e9800998ecf8427e"' },
 *     ),
 * };
 * const result = await uploadToS3(ReadableStream.from([]), {
 *   client,
 *   bucket: "exports",
 *   key: "empty.zip",
 * });
 * assert.deepEqual(result, {
 *   outcome: "stored",
 *   bucket: "exports",
 *   key: "empty.zip",
 *   etag: '"d41d8cd98f00b204e9800998ecf8427e"',
 *   size: 0,
 *   parts: 1,
 *   crc32: 0,
 *   completedEarlier: false,
 * });
 * ```
 */
export async function uploadToS3(
  body: ReadableStream<Uint8Array>,
  options: UploadOptions & { deadline: Date | number },
): Promise<UploadResult | PausedUpload>;
export async function uploadToS3(
  body: ReadableStream<Uint8Array>,
  options: UploadOptions,
): Promise<UploadResult>;
export async function uploadToS3(
  body: ReadableStream<Uint8Array>,
  options: UploadOptions,
): Promise<UploadResult | PausedUpload> {
  if (!(body instanceof ReadableStream) || body.locked) {
    throw new TypeError(
      `Cannot upload to S3: expected the body to be an unlocked ReadableStream but got ${
        body instanceof ReadableStream
          ? "a locked one"
          : body === null
          ? "null"
          : typeof body
      }`,
    );
  }
  let session: UploadSession;
  try {
    session = new UploadSession(options);
  } catch (error) {
    await body.cancel(error).catch(() => {});
    throw error;
  }
  const upload = new WritableStream(session.sink());
  try {
    await body.pipeTo(upload);
  } catch (error) {
    // Usually the upload failed (or paused) and `result` says so. Should the
    // pipe have failed without touching the upload, end it here so that
    // `result` settles.
    await upload.abort(error).catch(() => {});
  }
  return await session.result;
}
