/**
 * `copyPlanToS3()`: a planned archive of S3 objects built inside S3, their
 * bytes copied server-side.
 *
 * @module
 */

import type { ZipEntrySource } from "../zip/zip_entry.ts";
import type { ZipOptions } from "../zip/zip_options.ts";
import type { ZipPlan } from "../zip/zip_plan.ts";
import { copyLayout, S3_COPY_LIMITS } from "./_copy_layout.ts";
import { type CopyCost, costOf } from "./_copy_cost.ts";
import { continuationOf } from "../zip/_plan_continuation.ts";
import { inPool } from "./_copy_pool.ts";
import { type CopyCheckpoint, madeParts } from "./copy_checkpoint.ts";
import { makePart } from "./_copy_parts.ts";
import { sendTail, type SentTail, tailOf } from "./_copy_tail.ts";
import {
  checkClientAndBucket,
  checkInteger,
  failer,
  resolveRetryPolicy,
} from "./_option_checks.ts";
import { S3Requests } from "./_s3_requests.ts";
import { removeSeams } from "./_seam_cleanup.ts";
import { describeLeftovers, failedBuild } from "./_copy_failure.ts";
import { S3UploadError } from "./s3_upload_error.ts";
import type { S3ClientLike } from "./s3_client_like.ts";
import { S3RangedSource } from "./s3_ranged_source.ts";
import type { CreatedUpload, RetryOptions } from "./upload_options.ts";

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
    onCheckpoint,
    onUploadCreated,
    abortOnFailure = true,
    resume,
    append,
  } = options;
  checkClientAndBucket(client, bucket, fail);
  if (typeof key !== "string" || key === "") {
    fail(TypeError, "key", "a non-empty string", key);
  }
  checkInteger("concurrency", concurrency, 1, MAX_CONCURRENCY, fail);
  const requests = new S3Requests(client, resolveRetryPolicy(retry, fail));
  const layout = copyLayout(
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
  if (
    append !== undefined &&
    (typeof append !== "object" || append === null ||
      typeof append.entries !== "object" || append.entries === null)
  ) {
    fail(TypeError, "append", "an object with entries", append);
  }
  // With entries appended, the plan's glue after its last copied object is
  // streamed with them: its end is not the archive's, so it cannot be cut
  // into the sent parts the layout planned for it.
  const parts = append === undefined
    ? layout
    : layout.slice(0, layout.findLastIndex((part) => part.kind !== "send") + 1);
  const tailStart = parts.at(-1)?.range.end ?? 0;
  for (
    const [name, callback] of [["onCheckpoint", onCheckpoint], [
      "onUploadCreated",
      onUploadCreated,
    ]] as const
  ) {
    if (callback !== undefined && typeof callback !== "function") {
      fail(TypeError, name, "a function", callback);
    }
  }
  if (typeof abortOnFailure !== "boolean") {
    fail(TypeError, "abortOnFailure", "a boolean", abortOnFailure);
  }
  const { uploadId, seamPrefix, made } = resume === undefined
    ? await startBuild(requests, { bucket, key, contentType }, signal)
    : {
      uploadId: resume.uploadId,
      seamPrefix: resume.seamPrefix,
      made: await madeParts(requests, resume, {
        bucket,
        key,
        plan,
        partCount: parts.length,
      }, signal),
    };
  const target = { requests, plan, bucket, key, uploadId, seamPrefix };
  // Checkpoints are told one after another, in the order parts end.
  let told = Promise.resolve();
  const tell = () => {
    if (onCheckpoint === undefined) return told;
    const checkpoint: CopyCheckpoint = {
      version: 1,
      bucket,
      key,
      uploadId,
      seamPrefix,
      planEtag: plan.etag,
      planSize: plan.size,
      parts: [...made].sort(([a], [b]) => a - b).map(([partNumber, etag]) => ({
        partNumber,
        etag,
      })),
    };
    told = told.then(() => onCheckpoint(checkpoint));
    return told;
  };
  let built: { etag: string; size: number } | undefined;
  let size = plan.size;
  let cost = costOf(plan, parts);
  let failure: unknown;
  try {
    if (resume === undefined) {
      await onUploadCreated?.({ bucket, key, uploadId });
    }
    await tell();
    const missing = parts.flatMap((part, index) =>
      made.has(index + 1) ? [] : [{ part, partNumber: index + 1 }]
    );
    const tail = await inParallel(signal, (building) => [
      inPool(missing, concurrency, building, async ({ part, partNumber }) => {
        const { etag } = await makePart(target, part, partNumber, building);
        made.set(partNumber, etag);
        await tell();
      }),
      append === undefined ? undefined : sendTail(
        target,
        tailOf(plan, tailStart, append),
        { partNumber: parts.length + 1, offset: tailStart },
        { partSize: S3_COPY_LIMITS.sendPart, concurrency, signal: building },
      ),
    ]);
    const etags = [
      ...parts.map((_, index) => made.get(index + 1)!),
      // Tail parts end in any order: they go in by number.
      ...(tail === undefined ? [] : [...tail.etags].sort(([a], [b]) => a - b)
        .map(([, etag]) => etag)),
    ];
    size = tail === undefined ? plan.size : tailStart + tail.bytes;
    if (tail !== undefined) {
      cost = withTail(costOf(plan, parts), plan, tailStart, tail);
    }
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
    if (head.ContentLength !== size) {
      throw new Error(
        `expected the stored archive to hold ${size} bytes but HeadObject says ${head.ContentLength}`,
      );
    }
    built = { etag: completed.ETag ?? head.ETag ?? "", size };
  } catch (error) {
    failure = error;
  }
  const leftovers = await removeSeams(requests, bucket, seamPrefix);
  if (built === undefined) {
    throw await failedBuild(
      {
        client,
        bucket,
        key,
        uploadId,
        retry,
        leftovers,
        keep: !abortOnFailure && onCheckpoint !== undefined,
      },
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
  return { bucket, key, ...built, ...cost };
}

/** Creates the archive's upload, and the unique prefix of its seams. */
async function startBuild(
  requests: S3Requests,
  target: { bucket: string; key: string; contentType: string },
  signal: AbortSignal,
): Promise<
  { uploadId: string; seamPrefix: string; made: Map<number, string> }
> {
  const { bucket, key } = target;
  const created = await requests.createMultipartUpload(
    { Bucket: bucket, Key: key, ContentType: target.contentType },
    signal,
    () => {},
  );
  if (created.UploadId === undefined) {
    throw new S3UploadError(
      `Cannot build s3://${bucket}/${key}: CreateMultipartUpload answered no UploadId`,
      { bucket, key },
    );
  }
  return {
    uploadId: created.UploadId,
    seamPrefix: `${key}.zipstream-seams/${crypto.randomUUID().slice(0, 8)}/`,
    made: new Map(),
  };
}

/**
 * Runs the copies and the tail side by side under one signal: the first to
 * fail stops the other, and both have ended before this returns or throws
 * (the first failure), so that cleaning up races nothing.
 */
async function inParallel(
  signal: AbortSignal,
  start: (
    building: AbortSignal,
  ) => [Promise<unknown>, Promise<SentTail> | undefined],
): Promise<SentTail | undefined> {
  const building = new AbortController();
  const stop = () => building.abort(signal.reason);
  signal.addEventListener("abort", stop, { once: true });
  let failure: { error: unknown } | undefined;
  const settle = <T>(promise: Promise<T> | undefined) =>
    promise?.catch((error) => {
      failure ??= { error };
      building.abort(error);
      return undefined;
    });
  try {
    const [copies, tail] = start(building.signal);
    const [, sent] = await Promise.all([settle(copies), settle(tail)]);
    if (failure !== undefined) throw failure.error;
    return sent;
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

/** The cost of the copied parts, plus the tail's: what it sent and read. */
function withTail(
  cost: CopyCost,
  plan: ZipPlan,
  tailStart: number,
  tail: SentTail,
): CopyCost {
  const dataEnd = continuationOf(plan).dataEnd;
  const fromPlan = costOf(plan, [{
    kind: "send",
    range: { start: tailStart, end: dataEnd },
  }]);
  return {
    ...cost,
    parts: cost.parts + tail.etags.size,
    bytesSent: cost.bytesSent + tail.bytes,
    bytesRead: cost.bytesRead + fromPlan.bytesRead,
  };
}
