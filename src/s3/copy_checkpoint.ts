/**
 * The checkpoint of a server-side archive build (`copyPlanToS3`): enough to
 * resume it in another process after a crash.
 *
 * @module
 */

import { describeValue } from "../_errors.ts";
import type { Assembly } from "./_assembly.ts";
import type { S3Requests } from "./_s3_requests.ts";

/** One part the build has made. */
export interface CopyCheckpointPart {
  /** Its number, from 1. */
  partNumber: number;
  /** Its ETag, as the server answered. */
  etag: string;
}

/**
 * Where a server-side build stands: its upload, its seams' prefix, the
 * plan it builds (by ETag and size) and the parts made so far. A plain
 * JSON value: store it as it is, and give it back as `resume`.
 *
 * @example Keep each checkpoint in a file
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CopyCheckpoint } from "@zipstream/zipstream/s3";
 *
 * const checkpoint: CopyCheckpoint = {
 *   version: 1,
 *   bucket: "b",
 *   key: "photos.zip",
 *   uploadId: "u1",
 *   seamPrefix: "photos.zip.zipstream-seams/1a2b3c4d/",
 *   planEtag: '"zs1-0123456789abcdef0123456789abcdef"',
 *   planSize: 123456789,
 *   parts: [{ partNumber: 1, etag: '"e1"' }],
 * };
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, JSON.stringify(checkpoint));
 * assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), checkpoint);
 * await Deno.remove(path);
 * ```
 */
export interface CopyCheckpoint {
  /** The format's version: 1. */
  version: 1;
  /** The archive's bucket. */
  bucket: string;
  /** The archive's key. */
  key: string;
  /** The archive's multipart upload. */
  uploadId: string;
  /** Where the build's seam objects live, to be removed. */
  seamPrefix: string;
  /** The plan built: a resumed build must be given the same plan. */
  planEtag: string;
  /** The plan's size in bytes. */
  planSize: number;
  /** The parts made, in part-number order. */
  parts: CopyCheckpointPart[];
}

/**
 * The parts of a checkpoint's upload that need not be made again: those the
 * server still lists with the ETag the checkpoint recorded.
 *
 * @throws {RangeError} when the checkpoint is of another plan or target.
 * @throws {Error} when the upload is gone or cannot be listed.
 */
export async function madeParts(
  requests: S3Requests,
  checkpoint: CopyCheckpoint,
  target: { bucket: string; key: string; plan: Assembly; partCount: number },
  signal: AbortSignal,
): Promise<Map<number, string>> {
  checkCheckpoint(checkpoint, target);
  const listed = new Map<number, string>();
  let marker: string | undefined;
  do {
    let page;
    try {
      page = await requests.listParts({
        Bucket: checkpoint.bucket,
        Key: checkpoint.key,
        UploadId: checkpoint.uploadId,
        ...(marker === undefined ? {} : { PartNumberMarker: marker }),
      }, signal);
    } catch (error) {
      throw new Error(
        `Cannot resume the build of s3://${checkpoint.bucket}/${checkpoint.key}: its upload ${checkpoint.uploadId} cannot be listed (gone, if it was completed or aborted since)`,
        { cause: error },
      );
    }
    for (const part of page.Parts ?? []) {
      if (part.PartNumber !== undefined && part.ETag !== undefined) {
        listed.set(part.PartNumber, part.ETag);
      }
    }
    marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
  } while (marker !== undefined);
  const made = new Map<number, string>();
  for (const { partNumber, etag } of checkpoint.parts) {
    if (listed.get(partNumber) === etag) made.set(partNumber, etag);
  }
  return made;
}

function checkCheckpoint(
  checkpoint: CopyCheckpoint,
  target: { bucket: string; key: string; plan: Assembly; partCount: number },
): void {
  const refuse = (what: string, expected: unknown, received: unknown) => {
    throw new RangeError(
      `Cannot resume the build of s3://${target.bucket}/${target.key}: expected the checkpoint's ${what} to be ${
        describeValue(expected)
      } but it is ${describeValue(received)}`,
    );
  };
  if (typeof checkpoint !== "object" || checkpoint === null) {
    refuse("value", "an object", checkpoint);
  }
  if (checkpoint.version !== 1) refuse("version", 1, checkpoint.version);
  if (checkpoint.bucket !== target.bucket) {
    refuse("bucket", target.bucket, checkpoint.bucket);
  }
  if (checkpoint.key !== target.key) refuse("key", target.key, checkpoint.key);
  if (checkpoint.planEtag !== target.plan.etag) {
    refuse("plan (by ETag)", target.plan.etag, checkpoint.planEtag);
  }
  if (checkpoint.planSize !== target.plan.size) {
    refuse("plan size", target.plan.size, checkpoint.planSize);
  }
  if (
    typeof checkpoint.uploadId !== "string" || checkpoint.uploadId === ""
  ) {
    refuse("uploadId", "a non-empty string", checkpoint.uploadId);
  }
  if (
    typeof checkpoint.seamPrefix !== "string" ||
    !checkpoint.seamPrefix.startsWith(`${target.key}.zipstream-seams/`)
  ) {
    refuse(
      "seamPrefix",
      `a prefix under ${target.key}.zipstream-seams/`,
      checkpoint.seamPrefix,
    );
  }
  if (!Array.isArray(checkpoint.parts)) {
    refuse("parts", "an array", checkpoint.parts);
  }
  for (const part of checkpoint.parts) {
    if (
      typeof part !== "object" || part === null ||
      !Number.isInteger(part.partNumber) || part.partNumber < 1 ||
      part.partNumber > target.partCount || typeof part.etag !== "string"
    ) {
      refuse(
        "parts",
        `{ partNumber, etag } with part numbers from 1 to ${target.partCount}`,
        part,
      );
    }
  }
}
