/**
 * `finishSegments()` joins the segments the workers wrote into the archive,
 * and `discardSegments()` gives a build up, leaving nothing.
 *
 * @module
 */

import { describeValue, reasonOf } from "../_errors.ts";
import { assemble } from "../s3/_assemble.ts";
import { failer, resolveRetryPolicy } from "../s3/_option_checks.ts";
import { S3Requests } from "../s3/_s3_requests.ts";
import { removeSeams } from "../s3/_seam_cleanup.ts";
import type { CopyPlanResult } from "../s3/copy_plan_to_s3.ts";
import type { S3ClientLike } from "../s3/s3_client_like.ts";
import { type S3RangedSource, s3RangedSource } from "../s3/s3_ranged_source.ts";
import { S3UploadError } from "../s3/s3_upload_error.ts";
import type { CreatedUpload, RetryOptions } from "../s3/upload_options.ts";
import { unreadSource } from "../zip/_plan_continuation.ts";
import type { WrittenEntry } from "../zip/written_entry.ts";
import { zip } from "../zip/zip.ts";
import type { ZipEntry } from "../zip/zip_entry.ts";
import { SegmentedArchive } from "./_segmented_archive.ts";
import type { SegmentPlan, SegmentResult } from "./segment_job.ts";

/** HeadObject requests at once, for the segments' objects. */
const HEADS_AT_ONCE = 16;

/** How the finisher builds the archive. */
export interface FinishSegmentsOptions {
  /** The client of the archive's bucket. */
  client: S3ClientLike;
  /** Parts made at once. @default {4} */
  concurrency?: number;
  /** Retry and timeout settings of every request. */
  retry?: RetryOptions;
  /** Stops the build: its upload is aborted; the segments are kept. */
  signal?: AbortSignal;
  /** The archive's `Content-Type`. @default {"application/zip"} */
  contentType?: string;
  /** Told the archive's upload once it exists, as `copyPlanToS3` tells it. */
  onUploadCreated?: (upload: CreatedUpload) => void | Promise<void>;
}

/** What `finishSegments` stored, and what it cost. */
export interface FinishSegmentsResult extends CopyPlanResult {
  /** The segments joined. */
  segments: number;
  /** The archive's entries. */
  entries: number;
}

/**
 * Joins the segments of `plan`, given every job's result, into the archive:
 * the central directory is written from the results (each entry's offset is
 * its segment's plus the lengths of the segments before it), and the
 * archive is built server-side as `copyPlanToS3` builds one: the segments'
 * objects are copied into its upload (UploadPartCopy; a segment under 5 MiB
 * is read and sent), and the central directory sent. Its size is checked
 * with HeadObject; then the segments' objects, and any upload a killed
 * worker left under the build's prefix, are removed, and a listing must
 * show nothing left.
 *
 * On failure the archive's upload is aborted (as `copyPlanToS3` does) and
 * the segments are kept, so that `finishSegments` may be run again;
 * `discardSegments` removes them.
 *
 * @param plan The plan the jobs came from.
 * @param results Every job's result, in any order.
 * @param options The client, and how to build.
 * @returns What was stored and what it cost.
 * @throws {TypeError} when the results are not those of the plan's jobs.
 * @throws {S3UploadError} when the build failed, saying what it left.
 *
 * @example Plan, write each segment, join them
 * ```ts ignore
 * import { S3Client } from "@aws-sdk/client-s3";
 * import {
 *   buildSegment,
 *   finishSegments,
 *   planSegments,
 * } from "@zipstream/zipstream/segments";
 *
 * const client = new S3Client({});
 * const plan = planSegments(
 *   ["a", "b"].map((name) => ({
 *     name: `${name}.log`,
 *     source: { s3: { bucket: "logs", key: `${name}.log` } },
 *   })),
 *   { bucket: "archives", key: "logs.zip" },
 * );
 * // Each job may run in another process or on another machine.
 * const results = await Promise.all(
 *   plan.jobs.map((job) => buildSegment(job, { client })),
 * );
 * const archive = await finishSegments(plan, results, { client });
 * console.log(`${archive.size} bytes from ${archive.segments} segments`);
 * ```
 */
export async function finishSegments(
  plan: SegmentPlan,
  results: readonly SegmentResult[],
  options: FinishSegmentsOptions,
): Promise<FinishSegmentsResult> {
  const fail = failer("finish the segmented archive");
  if (typeof options !== "object" || options === null) {
    fail(TypeError, "options", "an object with client", options);
  }
  const { client, retry = {}, signal } = options;
  const ordered = resultsInOrder(plan, results);
  const records: WrittenEntry[] = [];
  let base = 0;
  for (const result of ordered) {
    for (const entry of result.entries) {
      records.push({
        ...entry,
        offset: entry.offset + base,
        end: entry.end + base,
      });
    }
    base += result.length;
  }
  const end = await endRecords(plan, ordered, records, base);
  const segments = await segmentObjects(client, plan, ordered, signal);
  const archive = new SegmentedArchive(
    segments,
    end,
    await buildEtag(ordered, end),
  );
  const built = await assemble(archive, {
    client,
    bucket: plan.bucket,
    key: plan.key,
    ...(options.concurrency === undefined
      ? {}
      : { concurrency: options.concurrency }),
    ...(options.contentType === undefined
      ? {}
      : { contentType: options.contentType }),
    ...(signal === undefined ? {} : { signal }),
    retry,
    ...(options.onUploadCreated === undefined
      ? {}
      : { onUploadCreated: options.onUploadCreated }),
  });
  const requests = new S3Requests(client, resolveRetryPolicy(retry, fail));
  const left = await removeSeams(requests, plan.bucket, plan.segmentPrefix);
  if (left.reason !== undefined) {
    throw new S3UploadError(
      `Built s3://${plan.bucket}/${plan.key}, but its segments were not all removed (${left.reason}: ${
        [...left.objects, ...left.uploads].slice(0, 3).join(", ")
      }): delete what is under s3://${plan.bucket}/${plan.segmentPrefix}`,
      { bucket: plan.bucket, key: plan.key, outcome: "pending" },
    );
  }
  return { ...built, segments: ordered.length, entries: records.length };
}

/**
 * Gives a build up: removes its segments' objects and aborts any upload
 * under its prefix (a worker killed while writing leaves one), then lists
 * the prefix to show nothing is left.
 *
 * @throws {S3UploadError} naming what is left, when something is.
 */
export async function discardSegments(
  plan: SegmentPlan,
  options: { client: S3ClientLike; retry?: RetryOptions },
): Promise<void> {
  const fail = failer("discard the segments");
  const requests = new S3Requests(
    options.client,
    resolveRetryPolicy(options.retry ?? {}, fail),
  );
  const left = await removeSeams(requests, plan.bucket, plan.segmentPrefix);
  if (left.reason !== undefined) {
    throw new S3UploadError(
      `Cannot discard the segments under s3://${plan.bucket}/${plan.segmentPrefix}: ${left.reason}`,
      { bucket: plan.bucket, key: plan.key, outcome: "pending" },
    );
  }
}

function resultsInOrder(
  plan: SegmentPlan,
  results: readonly SegmentResult[],
): SegmentResult[] {
  const refuse = (what: string, expected: string, received: unknown) => {
    throw new TypeError(
      `Cannot finish build ${plan.build}: expected ${what} to be ${expected} but got ${
        describeValue(received)
      }`,
    );
  };
  if (!Array.isArray(results)) refuse("results", "an array", results);
  if (results.length !== plan.jobs.length) {
    refuse("the results", `one per job (${plan.jobs.length})`, results.length);
  }
  const ordered = new Array<SegmentResult>(plan.jobs.length);
  for (const result of results) {
    const job = plan.jobs[result?.index];
    if (job === undefined || result.build !== plan.build) {
      refuse("each result", `one of build ${plan.build}'s jobs`, result);
    }
    if (ordered[result.index] !== undefined) {
      refuse(`segment ${result.index}'s result`, "given once", "twice");
    }
    if (
      result.segmentKey !== job!.segmentKey ||
      !Array.isArray(result.entries) ||
      result.entries.length !== job!.entries.length ||
      result.entries.some((entry, i) => entry.name !== job!.entries[i]!.name) ||
      !Number.isSafeInteger(result.length) ||
      result.length !== (result.entries.at(-1)?.end ?? 0)
    ) {
      refuse(
        `segment ${result.index}'s result`,
        `the record of its ${job!.entries.length} entries written to ${
          job!.segmentKey
        }`,
        result,
      );
    }
    ordered[result.index] = result;
  }
  return ordered;
}

/**
 * The archive's central directory and end records: `zip()` of every entry,
 * resumed at the end of the segments with the records of where each was
 * written, reads no data and writes only them.
 */
async function endRecords(
  plan: SegmentPlan,
  results: readonly SegmentResult[],
  records: readonly WrittenEntry[],
  length: number,
): Promise<Uint8Array> {
  const links = new Map(
    results.flatMap((result) => Object.entries(result.links ?? {})),
  );
  const entries: ZipEntry[] = plan.jobs.flatMap((job) =>
    job.entries.map(({ source, ...fields }) => ({
      ...fields,
      data: source === undefined
        ? undefined
        : links.get(fields.name) ?? unreadSource(fields.name),
    }))
  );
  const options = plan.jobs[0]?.options ?? { lastModified: 0 };
  try {
    return new Uint8Array(
      await new Response(
        zip(entries, {
          ...options,
          resume: { offset: length, entries: records },
        }),
      ).arrayBuffer(),
    );
  } catch (error) {
    throw new TypeError(
      `Cannot finish build ${plan.build}: the results do not match its entries: ${
        reasonOf(error)
      }`,
      { cause: error },
    );
  }
}

/** Each segment's object, headed: it must be the one its result describes. */
async function segmentObjects(
  client: S3ClientLike,
  plan: SegmentPlan,
  results: readonly SegmentResult[],
  signal: AbortSignal | undefined,
): Promise<S3RangedSource[]> {
  const objects = new Array<S3RangedSource>(results.length);
  let next = 0;
  const head = async () => {
    while (next < results.length) {
      signal?.throwIfAborted();
      const result = results[next++]!;
      const object = await s3RangedSource(client, {
        bucket: plan.bucket,
        key: result.segmentKey,
      }).catch((error: unknown) => {
        throw new Error(
          `Cannot finish build ${plan.build}: segment ${result.index} (s3://${plan.bucket}/${result.segmentKey}) cannot be read: ${
            reasonOf(error)
          }`,
          { cause: error },
        );
      });
      if (
        object.size !== result.length ||
        unquoted(object.etag) !== unquoted(result.etag)
      ) {
        throw new Error(
          `Cannot finish build ${plan.build}: expected segment ${result.index} to be ${result.length} bytes with ETag ${result.etag} as its job wrote it, but s3://${plan.bucket}/${result.segmentKey} is ${object.size} bytes with ETag ${object.etag}`,
        );
      }
      objects[result.index] = object;
    }
  };
  await Promise.all(Array.from({ length: HEADS_AT_ONCE }, head));
  return objects;
}

function unquoted(etag: string): string {
  return etag.replace(/^"|"$/g, "");
}

/** Names the archive these segments and end records make. */
async function buildEtag(
  results: readonly SegmentResult[],
  end: Uint8Array,
): Promise<string> {
  const described = await new Blob([
    JSON.stringify(results.map((result) => [result.segmentKey, result.etag])),
    end as Uint8Array<ArrayBuffer>,
  ]).arrayBuffer();
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", described),
  );
  return `"zsg-${
    Array.from(digest.subarray(0, 16), (byte) =>
      byte.toString(16).padStart(2, "0")).join("")
  }"`;
}
