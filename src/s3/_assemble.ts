/**
 * The engine of a server-side build (`copyPlanToS3`): lays out the parts,
 * makes them (copies, seams, sent glue, and a streamed tail of appended
 * entries) in a pool, completes the upload, checks the object's size, and
 * removes the seams however the build ends, reporting only what it checked.
 *
 * @module
 */

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
import { S3RangedSource } from "./s3_ranged_source.ts";
import type { Assembly } from "./_assembly.ts";
import type { CopyPlanOptions, CopyPlanResult } from "./copy_plan_to_s3.ts";

const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 64;

/**
 * Builds `plan` (a planned archive, or any assembly of objects and bytes)
 * as the object `options.key`: see `copyPlanToS3`.
 */
export async function assemble(
  plan: Assembly,
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
  // A signal aborted already fires no event: the build stops at once.
  if (signal.aborted) stop();
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
  plan: Assembly,
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
