/**
 * Streams bytes (a zip archive from `zip()`, or any `ReadableStream`) into
 * S3-compatible storage with a multipart upload that never leaves a mess:
 * bounded memory with backpressure, part sizes that reach 5 TiB for streams
 * of unknown length, retries with backoff, the completed object checked
 * against its parts' ETags and its size, a CRC-32 of the whole object
 * computed on the way (and Content-MD5 per part on request), and an aborted
 * upload on any failure. An upload kept for later (`abortOnFailure: false`)
 * resumes from its checkpoint, with `resumePointOf` saying where a zip
 * archive restarts, or is discarded with `abortUpload`. `s3Entries` turns
 * the objects under a prefix into ZIP entries, read lazily with read-ahead
 * and resumed where a GET broke, so that a bucket folder zips into the
 * bucket without touching the disk.
 *
 * @example Zipping entries straight into S3 (a client double stands in for `new S3Client({...})`)
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHash } from "node:crypto";
 * import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
 * import { zip } from "@zipstream/zipstream";
 * import { uploadToS3 } from "@zipstream/zipstream/s3";
 *
 * let stored: Uint8Array = new Uint8Array();
 * const client = {
 *   send(command: object) {
 *     if (command instanceof PutObjectCommand) {
 *       stored = command.input.Body as Uint8Array;
 *       // S3's ETag of a single PutObject: the MD5 of its bytes.
 *       const md5 = createHash("md5").update(stored).digest("hex");
 *       return Promise.resolve({ ETag: `"${md5}"` });
 *     }
 *     const head = command instanceof HeadObjectCommand;
 *     return Promise.resolve(head ? { ContentLength: stored.length } : {});
 *   },
 * };
 * const result = await uploadToS3(
 *   zip([{ name: "hello.txt", data: "Hello, S3!" }]),
 *   { client, bucket: "exports", key: "hello.zip" },
 * );
 * assert.equal(result.size, stored.length);
 * assert.deepEqual([...stored.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
 * ```
 *
 * @module
 */

export { uploadToS3 } from "./upload_to_s3.ts";
export { S3UploadStream } from "./s3_upload_stream.ts";
export {
  type FailedUploadOutcome,
  S3UploadError,
  type S3UploadErrorOptions,
} from "./s3_upload_error.ts";
export type {
  CreatedUpload,
  RetryNotice,
  RetryOptions,
  UploadOptions,
  UploadProgress,
} from "./upload_options.ts";
export type { PausedUpload, UploadResult } from "./upload_result.ts";
export {
  CHECKPOINT_VERSION,
  checkpointOffset,
  type CheckpointPart,
  parseUploadCheckpoint,
  type UploadCheckpoint,
} from "./upload_checkpoint.ts";
export type { S3ClientLike, S3Command } from "./s3_client_like.ts";
export {
  abortUpload,
  type AbortUploadOptions,
  type AbortUploadResult,
} from "./abort_upload.ts";
export { type ArchiveResumePoint, resumePointOf } from "./resume_point.ts";
export { s3Entries } from "./s3_entries.ts";
export type { S3EntriesOptions } from "./s3_entries_options.ts";
export {
  type S3ObjectLocation,
  s3PlanEntries,
  type S3PlanEntriesOptions,
  type S3PlanEntry,
  S3RangedSource,
  s3RangedSource,
  type S3RangedSourceInit,
} from "./s3_ranged_source.ts";
export {
  type AppendedEntries,
  type CopyPlanOptions,
  type CopyPlanResult,
  copyPlanToS3,
} from "./copy_plan_to_s3.ts";
export type { CopyCheckpoint, CopyCheckpointPart } from "./copy_checkpoint.ts";
