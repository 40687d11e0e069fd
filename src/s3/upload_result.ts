/**
 * What a finished upload reports.
 *
 * @module
 */

import type { UploadCheckpoint } from "./upload_checkpoint.ts";

/**
 * The object an upload created.
 *
 * @example A one-line report of an upload
 * ```ts
 * import assert from "node:assert/strict";
 * import type { UploadResult } from "@zipstream/zipstream/s3";
 *
 * const report = (r: UploadResult): string =>
 *   `s3://${r.bucket}/${r.key}: ${r.size} bytes in ${r.parts} parts, CRC-32 ${r.crc32.toString(16)}`;
 * const result = { outcome: "stored", bucket: "b", key: "k.zip", etag: '"x-2"', size: 10, parts: 2, crc32: 0xabc, completedEarlier: false };
 * assert.equal(report(result as UploadResult), "s3://b/k.zip: 10 bytes in 2 parts, CRC-32 abc");
 * ```
 */
export interface UploadResult {
  /**
   * `"stored"` when the object was checked after it was stored: HeadObject
   * reports the size sent and, where ETags are MD5-based, the ETag the parts
   * make. `"stored-unverified"` when the server said it stored the object
   * but that could not be checked; `unverified` says what was not.
   */
  outcome: "stored" | "stored-unverified";
  /** What could not be checked, when `outcome` is `"stored-unverified"`. */
  unverified?: string;
  /** The bucket it was written to. */
  bucket: string;
  /** Its key. */
  key: string;
  /** Its ETag as the server gave it (quoted, `"<md5>"` or `"<md5>-<parts>"` on S3). */
  etag: string;
  /** Its size in bytes, counted while streaming and confirmed by HeadObject. */
  size: number;
  /** How many parts it was uploaded in: 1 for a single PutObject. */
  parts: number;
  /** The CRC-32 (as ZIP computes it) of all its bytes, computed while streaming. */
  crc32: number;
  /**
   * Whether a resumed upload (`resume`) turned out to be completed already:
   * the earlier run stopped after CompleteMultipartUpload but before the
   * checkpoint was discarded. The object at the key was recognised by its
   * multipart ETag and size; nothing was sent, and the body was cancelled.
   */
  completedEarlier: boolean;
  /** The multipart upload's ID; absent when a single PutObject sufficed. */
  uploadId?: string;
  /** The object's URL as CompleteMultipartUpload reported it, if it did. */
  location?: string;
}

/**
 * An upload that stopped at its `deadline`: kept, with the checkpoint a
 * later run resumes it from (`resume: checkpoint`, the body from
 * `checkpointOffset(checkpoint)`).
 *
 * @example The loop of a serverless function
 * ```ts ignore
 * import { checkpointOffset, uploadToS3 } from "@zipstream/zipstream/s3";
 *
 * const result = await uploadToS3(bodyFrom(checkpointOffset(saved)), {
 *   client, bucket, key, resume: saved, onCheckpoint: save,
 *   deadline: Date.now() + 14 * 60_000,
 * });
 * if (result.outcome === "paused") await scheduleNextRun(result.checkpoint);
 * ```
 */
export interface PausedUpload {
  /** The upload stopped at its deadline and is kept. */
  outcome: "paused";
  /** The target bucket. */
  bucket: string;
  /** The target key. */
  key: string;
  /** The multipart upload kept. */
  uploadId: string;
  /** Where it stands: give it back as `resume`. */
  checkpoint: UploadCheckpoint;
  /** Bytes of the body the server holds. */
  bytesUploaded: number;
  /** Parts the server holds. */
  parts: number;
}
