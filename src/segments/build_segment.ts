/**
 * `buildSegment()`: one worker's share of a segmented archive, written as
 * a temporary object.
 *
 * @module
 */

import { describeValue, reasonOf } from "../_errors.ts";
import { s3RangedSource } from "../s3/s3_ranged_source.ts";
import type { S3ClientLike } from "../s3/s3_client_like.ts";
import type { RetryOptions } from "../s3/upload_options.ts";
import { uploadToS3 } from "../s3/upload_to_s3.ts";
import type { WrittenEntry } from "../zip/written_entry.ts";
import { zip } from "../zip/zip.ts";
import type { ZipEntry, ZipEntryData } from "../zip/zip_entry.ts";
import type {
  JsonValue,
  SegmentEntry,
  SegmentJob,
  SegmentResult,
} from "./segment_job.ts";

/** How a worker reads and writes. */
export interface BuildSegmentOptions {
  /** The client of the segment's bucket, which also reads `{ s3 }` sources. */
  client: S3ClientLike;
  /**
   * Opens a source other than the built-in `{ s3: { bucket, key } }` and
   * `{ text }`: returns the entry's data.
   */
  open?: (
    source: JsonValue,
    entry: SegmentEntry,
  ) => ZipEntryData | Promise<ZipEntryData>;
  /** Retry and timeout settings of every request. */
  retry?: RetryOptions;
  /** Stops the job; its segment's upload is aborted. */
  signal?: AbortSignal;
  /** Web Workers that deflate, as `ZipOptions.workers`. @default {0} */
  workers?: number;
}

/**
 * Writes a segment: its entries, as `zip()` writes them at any place in the
 * archive (no local header holds an offset), without the central directory,
 * uploaded as the job's temporary object. Every entry's data is given to
 * `zip()` as a stream (of `size` bytes when the entry says), whatever
 * `open` returns. A job run again writes the same
 * bytes, so a retried or duplicated job is harmless.
 *
 * @param job One of `planSegments()`'s jobs.
 * @param options The client, and how to open sources.
 * @returns Where each entry lies in the segment, for `finishSegments`.
 * @throws {TypeError} for a job that is not one, or a source that cannot
 * be opened.
 * @throws {Error} naming the entry, when its data fails; the segment's
 * upload is then aborted, as any failed upload is.
 *
 * @example Write one segment into the local server's bucket
 * ```ts ignore
 * import { S3Client } from "@aws-sdk/client-s3";
 * import { buildSegment, planSegments } from "@zipstream/zipstream/segments";
 *
 * const client = new S3Client({});
 * const plan = planSegments(
 *   [{ name: "a.txt", source: { text: "hello" } }],
 *   { bucket: "b", key: "a.zip" },
 * );
 * const result = await buildSegment(plan.jobs[0]!, { client });
 * console.log(result.length);
 * ```
 */
export async function buildSegment(
  job: SegmentJob,
  options: BuildSegmentOptions,
): Promise<SegmentResult> {
  checkJob(job);
  const { client, open, retry, signal, workers } = options;
  const written: WrittenEntry[] = [];
  const links: Record<string, string> = {};
  const count = job.entries.length;
  async function* entries(): AsyncGenerator<ZipEntry> {
    for (const entry of job.entries) {
      const zipEntry = await zipEntryOf(entry, client, open);
      if (typeof zipEntry.data === "string") links[entry.name] = zipEntry.data;
      yield zipEntry;
    }
  }
  const archive = zip(entries(), {
    ...job.options,
    ...(workers === undefined ? {} : { workers }),
    onEntry: (entry) => written.push(entry),
  });
  // The segment ends where its last entry does: what follows is the
  // central directory of this segment alone, which is not the archive's.
  let position = 0;
  const segment = archive.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const end = written.length === count
          ? written[count - 1]!.end
          : Infinity;
        const take = Math.min(chunk.length, end - position);
        position += take;
        if (position < end) {
          controller.enqueue(chunk);
          return;
        }
        // A copy: ending the segment cancels the archive, which may free
        // the buffer this chunk is a view of before the upload reads it.
        if (take > 0) controller.enqueue(chunk.slice(0, take));
        controller.terminate();
      },
      flush() {
        if (written.length !== count) {
          throw new Error(
            `expected the segment's ${count} entries to be written but the archive ended after ${written.length}`,
          );
        }
      },
    }),
  );
  const stored = await uploadToS3(segment, {
    client,
    bucket: job.bucket,
    key: job.segmentKey,
    contentType: "application/octet-stream",
    ...(retry === undefined ? {} : { retry }),
    ...(signal === undefined ? {} : { signal }),
  }).catch((error: unknown) => {
    throw new Error(
      `Cannot write segment ${job.index} of build ${job.build} to s3://${job.bucket}/${job.segmentKey}: ${
        reasonOf(error)
      }`,
      { cause: error },
    );
  });
  const length = written.at(-1)?.end ?? 0;
  if (stored.size !== length) {
    throw new Error(
      `Cannot write segment ${job.index} of build ${job.build}: expected s3://${job.bucket}/${job.segmentKey} to hold its ${length} bytes but it holds ${stored.size}`,
    );
  }
  return {
    version: 1,
    build: job.build,
    index: job.index,
    segmentKey: job.segmentKey,
    length,
    etag: stored.etag,
    entries: written,
    links,
  };
}

/** The `ZipEntry` of a segment entry, its source opened, its data a stream. */
async function zipEntryOf(
  entry: SegmentEntry,
  client: S3ClientLike,
  open: BuildSegmentOptions["open"],
): Promise<ZipEntry> {
  const { source, ...fields } = entry;
  const data = await dataOf(entry, source, client, open);
  if (data === undefined) return fields;
  // A link's target is checked before it is written, so it is given whole;
  // the result carries it to the finisher.
  if (isLink(entry)) return { ...fields, data: await linkTarget(entry, data) };
  return { ...fields, data: asStream(data) };
}

/** Whether the entry is a symbolic link (its mode's file type). */
function isLink(entry: SegmentEntry): boolean {
  return entry.mode !== undefined && (entry.mode & 0o170000) === 0o120000;
}

/** A link's target is a path: this is far more than any. */
const MAX_LINK_TARGET = 64 * 1024;

async function linkTarget(
  entry: SegmentEntry,
  data: ZipEntryData,
): Promise<string> {
  if (typeof data === "string") return data;
  const chunks: Uint8Array[] = [];
  let length = 0;
  const source = data instanceof Blob
    ? data.stream()
    : data instanceof ArrayBuffer || ArrayBuffer.isView(data)
    ? [data]
    : data;
  for await (
    const chunk of source as AsyncIterable<ArrayBufferView | ArrayBuffer>
  ) {
    const bytes = chunk instanceof ArrayBuffer
      ? new Uint8Array(chunk)
      : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    length += bytes.length;
    if (length > MAX_LINK_TARGET) {
      throw new RangeError(
        `Cannot add "${entry.name}" to the segment: expected a symbolic link's target of at most ${MAX_LINK_TARGET} bytes but its source holds more`,
      );
    }
    chunks.push(bytes.slice());
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(
    await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer(),
  );
}

/**
 * The data as a stream: how an entry is written (its sizes before its data,
 * or in a descriptor after) depends on whether its data is given whole, and
 * the finisher, which never sees the data, must know. Streams it is, always.
 */
function asStream(data: ZipEntryData): ZipEntryData {
  if (data instanceof Blob) return data.stream();
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : undefined;
  if (bytes === undefined) return data;
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function dataOf(
  entry: SegmentEntry,
  source: JsonValue | undefined,
  client: S3ClientLike,
  open: BuildSegmentOptions["open"],
): Promise<ZipEntryData | undefined> {
  if (source === undefined) return undefined;
  if (typeof source === "object" && source !== null && !Array.isArray(source)) {
    if (typeof source.text === "string") return source.text;
    const s3 = source.s3;
    if (
      typeof s3 === "object" && s3 !== null && !Array.isArray(s3) &&
      typeof s3.bucket === "string" && typeof s3.key === "string"
    ) {
      const object = await s3RangedSource(client, {
        bucket: s3.bucket,
        key: s3.key,
      }).catch((error: unknown) => {
        throw new Error(
          `Cannot add "${entry.name}" to the segment: ${reasonOf(error)}`,
          { cause: error },
        );
      });
      return object.read(0, object.size);
    }
  }
  if (open === undefined) {
    throw new TypeError(
      `Cannot add "${entry.name}" to the segment: expected its source to be { s3: { bucket, key } } or { text } (or an open option for others) but got ${
        describeValue(source)
      }`,
    );
  }
  return await open(source, entry);
}

function checkJob(job: SegmentJob): void {
  const ok = typeof job === "object" && job !== null && job.version === 1 &&
    typeof job.build === "string" && Number.isSafeInteger(job.index) &&
    typeof job.bucket === "string" && typeof job.segmentKey === "string" &&
    Array.isArray(job.entries) && job.entries.length > 0 &&
    typeof job.options === "object" && job.options !== null;
  if (!ok) {
    throw new TypeError(
      `Cannot write the segment: expected a job from planSegments() (version 1, build, index, bucket, segmentKey, entries, options) but got ${
        describeValue(job)
      }`,
    );
  }
}
