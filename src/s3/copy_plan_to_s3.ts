/**
 * `copyPlanToS3()`: a planned archive of S3 objects built inside S3, their
 * bytes copied server-side.
 *
 * @module
 */

import { reasonOf } from "../_errors.ts";
import type { ZipPlan } from "../zip/zip_plan.ts";
import { abortUpload } from "./abort_upload.ts";
import { copyLayout, type CopyPart } from "./_copy_layout.ts";
import { makePart } from "./_copy_parts.ts";
import {
  checkClientAndBucket,
  checkInteger,
  failer,
  resolveRetryPolicy,
} from "./_option_checks.ts";
import { S3Requests } from "./_s3_requests.ts";
import { removeSeams, type SeamLeftovers } from "./_seam_cleanup.ts";
import { S3UploadError } from "./s3_upload_error.ts";
import type { S3ClientLike } from "./s3_client_like.ts";
import { S3RangedSource } from "./s3_ranged_source.ts";
import type { RetryOptions } from "./upload_options.ts";

const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 64;

/** Where {@linkcode copyPlanToS3} builds the archive, and how. */
export interface CopyPlanOptions {
  /** The client of the target, e.g. an `S3Client`. */
  client: S3ClientLike;
  /** The target bucket. */
  bucket: string;
  /** The archive's key. */
  key: string;
  /**
   * Which S3 objects of the plan are copied server-side rather than read
   * and sent: those on the target's server.
   *
   * @default {objects read with `client` itself}
   */
  copyable?: (source: S3RangedSource) => boolean;
  /**
   * Parts made at once.
   *
   * @default {4}
   */
  concurrency?: number;
  /**
   * The archive's `Content-Type`.
   *
   * @default {"application/zip"}
   */
  contentType?: string;
  /** Retry and timeout settings of every request. */
  retry?: RetryOptions;
  /** Stops the build: the upload is then aborted and its seams removed. */
  signal?: AbortSignal;
}

/** What {@linkcode copyPlanToS3} stored, and what it cost. */
export interface CopyPlanResult {
  /** The target bucket. */
  bucket: string;
  /** The archive's key. */
  key: string;
  /** The archive's ETag, as S3 gave it. */
  etag: string;
  /** The archive's size in bytes, checked with HeadObject. */
  size: number;
  /** Parts of the archive's upload. */
  parts: number;
  /** Of those, ranges of objects copied. */
  copiedParts: number;
  /** Of those, seams: temporary objects of an object's end and the glue after it. */
  seams: number;
  /** Bytes the client sent: headers, small objects, the central directory, one start. */
  bytesSent: number;
  /** Of those, bytes the client read from source objects first. */
  bytesRead: number;
  /**
   * Bytes S3 copied: the objects' ranges, plus each seam once more (a seam
   * is built, then copied into the archive).
   */
  bytesCopied: number;
}

/**
 * Builds a planned archive (see `planZip`) as an S3 object without moving
 * the bytes of its large S3 objects: each is copied into the archive's
 * multipart upload server-side (UploadPartCopy, pinned to the object's
 * ETag, so a changed object fails the build), and the client sends only
 * the glue: local headers, objects under 5 MiB, the central directory, and
 * the first 5 MiB of the archive (every part but the last must hold 5 MiB,
 * and the archive starts with a header of a few dozen bytes). Between two
 * objects the glue is a header, too small to be a part: the end of the
 * object before it and that glue become a seam, a temporary object built
 * by an upload of its own (the object's end copied, the glue sent as its
 * last part, which may be small), then copied whole. Seams live under
 * `<key>.zipstream-seams/<random>/` and are removed when the build ends,
 * however it ends; the result or the error says so only once a listing
 * shows nothing left.
 *
 * The archive is byte-identical to `plan.slice(0)`. Its size is checked
 * with HeadObject before the result is returned. On failure the archive's
 * upload is aborted (and checked gone with ListParts) and the seams are
 * removed; the `S3UploadError` says what was left.
 *
 * @param plan The archive, from `planZip`, whose S3 objects are copied.
 * @param options The target, and which sources to copy.
 * @returns What was stored and what it cost.
 * @throws {TypeError} for an option of the wrong type.
 * @throws {RangeError} when the archive would need more than 10,000 parts.
 * @throws {S3UploadError} when the build failed, saying what it left.
 *
 * @example Zip a bucket folder into the bucket without downloading it
 * ```ts ignore
 * import { S3Client } from "@aws-sdk/client-s3";
 * import { planZip } from "@zipstream/zipstream";
 * import { copyPlanToS3, s3PlanEntries } from "@zipstream/zipstream/s3";
 *
 * const client = new S3Client({});
 * const entries = await s3PlanEntries(client, { bucket: "b", prefix: "photos/" });
 * const result = await copyPlanToS3(await planZip(entries), {
 *   client,
 *   bucket: "b",
 *   key: "photos.zip",
 * });
 * console.log(`${result.size} bytes, ${result.bytesSent} sent, ${result.bytesCopied} copied`);
 * ```
 */
export async function copyPlanToS3(
  plan: ZipPlan,
  options: CopyPlanOptions,
): Promise<CopyPlanResult> {
  const fail = failer("build the archive in S3");
  if (typeof options !== "object" || options === null) {
    fail(
      TypeError,
      "options",
      "an object with client, bucket and key",
      options,
    );
  }
  const {
    client,
    bucket,
    key,
    copyable = (source: S3RangedSource) => source.client === client,
    concurrency = DEFAULT_CONCURRENCY,
    contentType = "application/zip",
    retry = {},
    signal = new AbortController().signal,
  } = options;
  checkClientAndBucket(client, bucket, fail);
  if (typeof key !== "string" || key === "") {
    fail(TypeError, "key", "a non-empty string", key);
  }
  checkInteger("concurrency", concurrency, 1, MAX_CONCURRENCY, fail);
  const requests = new S3Requests(client, resolveRetryPolicy(retry, fail));
  const parts = copyLayout(
    plan.size,
    plan.entries.flatMap((entry) =>
      entry.source instanceof S3RangedSource && copyable(entry.source)
        ? [{
          dataOffset: entry.dataOffset,
          size: entry.size,
          source: entry.source,
        }]
        : []
    ),
  );
  const created = await requests.createMultipartUpload(
    { Bucket: bucket, Key: key, ContentType: contentType },
    signal,
    () => {},
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) {
    throw new S3UploadError(
      `Cannot build s3://${bucket}/${key}: CreateMultipartUpload answered no UploadId`,
      { bucket, key },
    );
  }
  const seamPrefix = `${key}.zipstream-seams/${
    crypto.randomUUID().slice(0, 8)
  }/`;
  const target = { requests, plan, bucket, key, uploadId, seamPrefix };
  let built: { etag: string; size: number } | undefined;
  let failure: unknown;
  try {
    const etags = await inPool(
      parts,
      concurrency,
      signal,
      async (part, index) =>
        (await makePart(target, part, index + 1, signal)).etag,
    );
    const completed = await requests.completeMultipartUpload(
      {
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: etags.map((etag, index) => ({
            PartNumber: index + 1,
            ETag: etag,
          })),
        },
      },
      signal,
      (error) => Promise.reject(error),
    );
    const head = await requests.headObject(
      { Bucket: bucket, Key: key },
      signal,
    );
    if (head.ContentLength !== plan.size) {
      throw new Error(
        `expected the stored archive to hold ${plan.size} bytes but HeadObject says ${head.ContentLength}`,
      );
    }
    built = { etag: completed.ETag ?? head.ETag ?? "", size: plan.size };
  } catch (error) {
    failure = error;
  }
  const leftovers = await removeSeams(requests, bucket, seamPrefix);
  if (built === undefined) {
    throw await failedBuild(
      { client, bucket, key, uploadId, retry, leftovers },
      failure,
    );
  }
  if (leftovers.reason !== undefined) {
    throw new S3UploadError(
      `Built s3://${bucket}/${key}, but its temporary seam objects were not all removed (${
        describeLeftovers(leftovers)
      }): delete what is under s3://${bucket}/${seamPrefix}`,
      { bucket, key, outcome: "pending" },
    );
  }
  return { bucket, key, ...built, ...costOf(plan, parts) };
}

/** Aborts the archive's upload and words what the failed build left. */
async function failedBuild(
  build: {
    client: S3ClientLike;
    bucket: string;
    key: string;
    uploadId: string;
    retry: RetryOptions;
    leftovers: SeamLeftovers;
  },
  cause: unknown,
): Promise<S3UploadError> {
  const { bucket, key, uploadId, leftovers } = build;
  let aborted: string;
  let gone: boolean;
  try {
    const result = await abortUpload({
      client: build.client,
      bucket,
      key,
      uploadId,
      retry: build.retry,
    });
    gone = true;
    aborted = `its upload ${
      result.outcome === "aborted" ? "was aborted" : "was already gone"
    }`;
  } catch (error) {
    gone = false;
    aborted = `its upload ${uploadId} is still pending (${reasonOf(error)})`;
  }
  const seams = leftovers.reason === undefined
    ? "its seam objects were removed"
    : `seam objects may be left (${describeLeftovers(leftovers)})`;
  const clean = gone && leftovers.reason === undefined;
  return new S3UploadError(
    `Cannot build s3://${bucket}/${key}: ${reasonOf(cause)}; ${
      clean ? "nothing was stored" : "the build left something"
    }: ${aborted}, ${seams}`,
    {
      bucket,
      key,
      uploadId,
      outcome: clean ? "nothing-left" : "pending",
      cause,
    },
  );
}

function describeLeftovers(leftovers: SeamLeftovers): string {
  const listed = [...leftovers.objects, ...leftovers.uploads];
  return listed.length === 0
    ? leftovers.reason!
    : `${listed.length} left, e.g. ${listed[0]}: ${leftovers.reason}`;
}

/** Runs `make` over `items`, `concurrency` at a time, results in order; the first failure stops the rest. */
async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal,
  make: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      signal.throwIfAborted();
      const index = next++;
      try {
        results[index] = await make(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.min(concurrency, items.length) }, worker),
  );
  const rejected = outcomes.find((outcome) => outcome.status === "rejected");
  if (rejected !== undefined) throw (rejected as PromiseRejectedResult).reason;
  return results;
}

/** The bytes sent, read and copied for `parts` of `plan`. */
function costOf(
  plan: ZipPlan,
  parts: readonly CopyPart<S3RangedSource>[],
): Omit<CopyPlanResult, "bucket" | "key" | "etag" | "size"> {
  let bytesSent = 0;
  let bytesRead = 0;
  let bytesCopied = 0;
  const sentRange = (start: number, end: number) => {
    bytesSent += end - start;
    for (const entry of plan.entries) {
      const from = Math.max(start, entry.dataOffset);
      const to = Math.min(end, entry.dataOffset + entry.size);
      if (from < to) bytesRead += to - from;
    }
  };
  for (const part of parts) {
    if (part.kind === "send") sentRange(part.range.start, part.range.end);
    else bytesCopied += part.copy.end - part.copy.start;
    if (part.kind === "seam") {
      sentRange(part.glue.start, part.glue.end);
      bytesCopied += part.range.end - part.range.start;
    }
  }
  return {
    parts: parts.length,
    copiedParts: parts.filter((part) => part.kind === "copy").length,
    seams: parts.filter((part) => part.kind === "seam").length,
    bytesSent,
    bytesRead,
    bytesCopied,
  };
}
