/**
 * The options of `s3Entries`.
 *
 * @module
 */

import type { CompressionMethod } from "../zip/mod.ts";
import type { S3ClientLike } from "./s3_client_like.ts";
import type { RetryOptions } from "./upload_options.ts";

/**
 * Which objects become entries, and how they are read. Only `client` and
 * `bucket` are required.
 *
 * @example Options for a folder of many small objects
 * ```ts
 * import assert from "node:assert/strict";
 * import { S3Client } from "@aws-sdk/client-s3";
 * import type { S3EntriesOptions } from "@zipstream/zipstream/s3";
 *
 * const client = new S3Client({ region: "us-east-1" });
 * const options: S3EntriesOptions = {
 *   client,
 *   bucket: "photos",
 *   prefix: "2026/november/",
 *   readAhead: 16,
 * };
 * assert.equal(options.prefix?.endsWith("/"), true);
 * client.destroy();
 * ```
 */
export interface S3EntriesOptions {
  /** The client to list and read with, e.g. `new S3Client({ ... })`. */
  client: S3ClientLike;
  /** The bucket to read from. */
  bucket: string;
  /**
   * Only keys that start with this become entries, named by the rest of the
   * key after the prefix's last `/`: with `"photos/"`, `photos/2024/a.jpg`
   * becomes `2024/a.jpg`; with `"photos/2024"`, it becomes `2024/a.jpg`, and
   * `photos/2024-old.jpg` (which that prefix also matches) `2024-old.jpg`.
   * End it with `/` to take a folder.
   *
   * @default {""} (the whole bucket)
   */
  prefix?: string;
  /**
   * Objects fetched ahead of the one the archive is reading, from 0 to 64.
   *
   * @default {4}
   */
  readAhead?: number;
  /**
   * Bytes that objects fetched ahead may hold in memory, together. An object
   * fetched ahead pauses (its connection idle) when the budget is spent.
   *
   * @default {33554432} (32 MiB)
   */
  readAheadBytes?: number;
  /**
   * The compression of every entry; `"store"` lets `predictLength` give the
   * archive's size before it is written.
   *
   * @default {undefined} (the archive's `compression` option)
   */
  compression?: CompressionMethod;
  /**
   * Keys per ListObjectsV2 request, from 1 to 1,000.
   *
   * @default {1000}
   */
  pageSize?: number;
  /**
   * Stops listing and reading: pending reads fail with the signal's reason
   * and objects fetched ahead let go of their connections.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Retries of ListObjectsV2 and of GetObject. A body that breaks is resumed
   * from the byte where it stopped; `timeout` is how long a body may go
   * without delivering a byte before it counts as broken.
   *
   * @default {{}} (every `RetryOptions` default)
   */
  retry?: RetryOptions;
}
