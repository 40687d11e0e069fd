/**
 * The objects under an S3 prefix as ZIP entries.
 *
 * @module
 */

import { messageOf } from "../_errors.ts";
import type { ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import type { CompressionMethod, ZipEntry } from "../zip/mod.ts";
import type { S3EntriesOptions } from "./s3_entries_options.ts";
import { ObjectReader } from "./_object_reader.ts";
import {
  checkInteger,
  checkListingOptions,
  resolveRetryPolicy,
  show,
} from "./_option_checks.ts";
import { ReadAhead } from "./_read_ahead.ts";
import { S3Requests } from "./_s3_requests.ts";

const MAX_READ_AHEAD = 64;
const MAX_PAGE_SIZE = 1000;
const DEFAULT_READ_AHEAD_BYTES = 32 * 1024 * 1024;

/**
 * Lists `s3://bucket/prefix` with ListObjectsV2 and gives one `ZipEntry` per
 * object: named by its key after the prefix's last `/` (so `photos/` names
 * `photos/a.jpg` as `a.jpg`, and `photos/a` names it `a.jpg` too), sized and
 * dated from the listing, its `data` a stream that GETs the object only when
 * the archive (or read-ahead) needs it. Keys ending in `/` become
 * directories; the key equal to a prefix ending in `/` is skipped.
 *
 * While the archive reads one object, the next `readAhead` ones are fetched
 * within `readAheadBytes`. A body that breaks mid-object is resumed with a
 * `Range` request from the byte where it stopped, pinned with `If-Match` to
 * the ETag of the listing, so an object changed meanwhile fails the archive
 * with a clear error instead of mixing two versions.
 *
 * Iterate lazily (pass it to `zip()` directly: listing pages are fetched as
 * the archive goes, and an archive that ends early cancels the read-ahead),
 * or collect it first (`await Array.fromAsync(s3Entries(...))`) to learn the
 * archive's size with `predictLength` before writing; a collected list holds
 * no connection until the archive reads it, and `signal` lets go of the
 * read-ahead if the archive fails.
 *
 * @param options The client, bucket and prefix; read-ahead and retry settings.
 * @returns The entries, in key order.
 * @throws {TypeError} An option of the wrong type.
 * @throws {RangeError} An option out of range.
 *
 * @example Zipping a prefix (listed from a client double here; pass an `S3Client` in real use)
 * ```ts
 * import assert from "node:assert/strict";
 * import { ListObjectsV2Command } from "@aws-sdk/client-s3";
 * import { s3Entries } from "@zipstream/zipstream/s3";
 *
 * const client = {
 *   send: (command: object) =>
 *     Promise.resolve(
 *       command instanceof ListObjectsV2Command
 *         ? {
 *           Contents: [
 *             { Key: "reports/", Size: 0 },
 *             { Key: "reports/2024/q1.csv", Size: 0, LastModified: new Date(0) },
 *           ],
 *         }
 *         : {},
 *     ),
 * };
 * const entries = await Array.fromAsync(
 *   s3Entries({ client, bucket: "exports", prefix: "reports/" }),
 * );
 * assert.deepEqual(entries.map((entry) => [entry.name, entry.size]), [
 *   ["2024/q1.csv", 0],
 * ]);
 * ```
 */
export function s3Entries(options: S3EntriesOptions): AsyncIterable<ZipEntry> {
  const resolved = resolve(options);
  return {
    [Symbol.asyncIterator]: () => list(resolved),
  };
}

interface Resolved {
  requests: S3Requests;
  bucket: string;
  prefix: string;
  compression: CompressionMethod | undefined;
  readAhead: number;
  readAheadBytes: number;
  pageSize: number;
  retry: ReturnType<typeof resolveRetryPolicy>;
  signal: AbortSignal;
}

function resolve(options: S3EntriesOptions): Resolved {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot list S3 objects: expected an options object with client and bucket but got ${
        show(options)
      }`,
    );
  }
  const {
    client,
    bucket,
    prefix = "",
    readAhead = 4,
    readAheadBytes = DEFAULT_READ_AHEAD_BYTES,
    compression,
    pageSize = MAX_PAGE_SIZE,
    signal = new AbortController().signal,
    retry = {},
  } = options;
  const fail = checkListingOptions(client, bucket, prefix);
  checkInteger("readAhead", readAhead, 0, MAX_READ_AHEAD, fail);
  checkInteger(
    "readAheadBytes",
    readAheadBytes,
    0,
    Number.MAX_SAFE_INTEGER,
    fail,
  );
  if (
    compression !== undefined && compression !== "store" &&
    compression !== "deflate"
  ) {
    fail(TypeError, "compression", '"store" or "deflate"', compression);
  }
  checkInteger("pageSize", pageSize, 1, MAX_PAGE_SIZE, fail);
  if (!(signal instanceof AbortSignal)) {
    fail(TypeError, "signal", "an AbortSignal", signal);
  }
  const policy = resolveRetryPolicy(retry, fail);
  return {
    requests: new S3Requests(client, policy),
    bucket,
    prefix,
    compression,
    readAhead,
    readAheadBytes,
    pageSize,
    retry: policy,
    signal,
  };
}

async function* list(resolved: Resolved): AsyncGenerator<ZipEntry> {
  const { requests, bucket, prefix, pageSize, signal } = resolved;
  const readAhead = new ReadAhead(resolved.readAhead, resolved.readAheadBytes);
  const onAbort = () => readAhead.cancelPending();
  signal.addEventListener("abort", onAbort, { once: true });
  // Entries made but not yet given out: a page is turned into entries at
  // once, so that read-ahead can reach past the entry being given.
  const ready: ZipEntry[] = [];
  let token: string | undefined;
  let listed = false;
  let finished = false;

  const nextPage = async () => {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await requests.listObjectsV2({
        Bucket: bucket,
        Prefix: prefix,
        MaxKeys: pageSize,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }, signal);
    } catch (error) {
      throw new Error(
        `Cannot list s3://${bucket}/${prefix}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    for (const object of page.Contents ?? []) {
      const entry = entryOf(object, resolved, readAhead);
      if (entry !== undefined) ready.push(entry);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    listed = token === undefined;
  };

  try {
    while (!listed || ready.length > 0) {
      // Keep the next `readAhead` entries made, so they can be fetched early.
      while (!listed && ready.length <= resolved.readAhead) await nextPage();
      const entry = ready.shift();
      if (entry === undefined) continue;
      yield entry;
    }
    finished = true;
  } finally {
    if (finished) {
      // A list collected before the archive reads it stays cancellable until
      // the archive reaches its last object; then nothing is fetched ahead.
      readAhead.seal(() => signal.removeEventListener("abort", onAbort));
    } else {
      signal.removeEventListener("abort", onAbort);
      readAhead.cancelPending();
    }
  }
}

function entryOf(
  object: { Key?: string; Size?: number; ETag?: string; LastModified?: Date },
  resolved: Resolved,
  readAhead: ReadAhead,
): ZipEntry | undefined {
  const { bucket, prefix, compression } = resolved;
  const key = object.Key;
  if (key === undefined || !key.startsWith(prefix)) return undefined;
  // Cutting at the last `/` rather than at the prefix's end keeps names whole
  // for a prefix that ends inside one (`logs/2024-` gives `2024-01.txt`).
  const name = key.slice(prefix.lastIndexOf("/") + 1).replace(/^\/+/, "");
  if (name === "") return undefined;
  const lastModified = object.LastModified === undefined
    ? {}
    : { lastModified: object.LastModified };
  if (name.endsWith("/")) return { name, ...lastModified };
  const size = object.Size ?? 0;
  const reader = new ObjectReader(
    resolved.requests,
    resolved.retry,
    { bucket, key, size, etag: object.ETag },
    readAhead,
    resolved.signal,
  );
  return {
    name,
    size,
    data: reader.stream,
    ...lastModified,
    ...(compression === undefined ? {} : { compression }),
  };
}
