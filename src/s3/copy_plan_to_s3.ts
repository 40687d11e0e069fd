/**
 * `copyPlanToS3()`: a planned archive of S3 objects built inside S3, their
 * bytes copied server-side.
 *
 * @module
 */

import type { ZipEntrySource } from "../zip/zip_entry.ts";
import type { ZipOptions } from "../zip/zip_options.ts";
import type { ZipPlan } from "../zip/zip_plan.ts";
import { assemble } from "./_assemble.ts";
import type { CopyCheckpoint } from "./copy_checkpoint.ts";
import type { S3ClientLike } from "./s3_client_like.ts";
import type { S3RangedSource } from "./s3_ranged_source.ts";
import type { CreatedUpload, RetryOptions } from "./upload_options.ts";

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
  /**
   * Stops the build: its upload is then aborted (or kept, with
   * `abortOnFailure: false` and `onCheckpoint`) and its seams removed.
   */
  signal?: AbortSignal;
  /**
   * Told where the build stands once its upload exists and after each part
   * (calls never overlap; the build waits for a promise returned). Keep the
   * last checkpoint to resume the build with `resume` after a crash.
   */
  onCheckpoint?: (checkpoint: CopyCheckpoint) => void | Promise<void>;
  /**
   * Called once CreateMultipartUpload has answered, before any part is
   * made, with the upload's bucket, key and ID: the moment to record it
   * where a later cleanup finds it. A returned promise is awaited; a
   * failure fails the build. Not called when resuming.
   */
  onUploadCreated?: (upload: CreatedUpload) => void | Promise<void>;
  /**
   * Whether a failure aborts the archive's upload. `false`, with
   * `onCheckpoint`, keeps it for `resume` (the error's `uploadKept` is
   * true); abort it with `abortUpload` to give up. Seams are removed either
   * way: a resumed build makes those it still needs.
   *
   * @default {true}
   */
  abortOnFailure?: boolean;
  /**
   * Resumes the build a checkpoint describes, of the same plan to the same
   * target: the parts the server still lists are kept, the rest are made.
   */
  resume?: CopyCheckpoint;
  /**
   * Entries written after the plan's and streamed by the client, for those
   * a plan cannot hold: compressed ones, or sources that are not S3 objects
   * on the target's server. The archive is then the plan's entries followed
   * by these, with one central directory for all, byte-identical to what
   * `zip()` writes for the plan's entries (stored, with their CRCs) followed
   * by these, with the plan's options and `compression`, `level` and
   * `workers` from here. The plan's data after its last copied object is
   * sent with them. A resumed build streams them again.
   */
  append?: AppendedEntries;
}

/**
 * Entries a server-side build writes after the plan's, streamed by the
 * client: see `CopyPlanOptions.append`.
 */
export interface AppendedEntries
  extends Pick<ZipOptions, "compression" | "level" | "workers"> {
  /** The entries, written after the plan's in this order; read once. */
  entries: ZipEntrySource;
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
  /**
   * Bytes the client sent: headers, small objects, the central directory,
   * one start, and with `append`, the appended entries as written.
   */
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
 * The archive is byte-identical to `plan.slice(0)`, or with `append` to
 * what `zip()` writes for the plan's entries followed by the appended
 * ones (see `append`). Its size is checked
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
  return await assemble(plan, options);
}
