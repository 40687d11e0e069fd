/**
 * S3 objects as ranged sources of a planned archive, with the checksums S3
 * keeps for them as their CRC-32s: see {@linkcode s3RangedSource}.
 *
 * @module
 */

import type { RangedSource } from "../zip/ranged_source.ts";
import { type HeadLocation, headObject } from "./_object_head.ts";
import { WORK_RETRY } from "./_option_checks.ts";
import { prefixKeys } from "./_prefix_keys.ts";
import { rangedGet } from "./_ranged_get.ts";
import {
  checkRange,
  checkSourceInit,
  resolveHeadLocation,
  resolvePlanOptions,
} from "./_ranged_source_checks.ts";
import { S3Requests } from "./_s3_requests.ts";
import type { S3ClientLike } from "./s3_client_like.ts";

/** Which object: a bucket, a key and, in a versioned bucket, a version. */
export interface S3ObjectLocation {
  /** The bucket. */
  bucket: string;
  /** The object's key. */
  key: string;
  /**
   * The version to read, in a versioned bucket.
   *
   * @default {undefined} (the current version)
   */
  versionId?: string;
}

/**
 * What an {@linkcode S3RangedSource} is made from without asking S3: an
 * object's location and what a plan made earlier recorded of it.
 */
export interface S3RangedSourceInit extends S3ObjectLocation {
  /** The client to read with, e.g. `new S3Client({ ... })`. */
  client: S3ClientLike;
  /** The object's size in bytes. */
  size: number;
  /**
   * The object's ETag when the plan was made, quoted or not: every read is
   * pinned to it with `If-Match`.
   */
  etag: string;
  /**
   * The CRC-32 of the object's bytes, if known.
   *
   * @default {undefined} (`planZip` computes it from the data or its cache)
   */
  crc32?: number;
  /**
   * When the object was last modified.
   *
   * @default {undefined}
   */
  lastModified?: Date;
}

/**
 * One S3 object, readable at any offset, as a {@linkcode RangedSource} of a
 * planned archive. Each `read(start, end)` is one ranged GetObject pinned to
 * the ETag with `If-Match`, sent when its stream is first pulled, and the
 * stream fails with an error naming the object if the object has changed
 * since. Requests are retried as {@linkcode uploadToS3}'s are by default.
 *
 * Made by {@linkcode s3RangedSource} (one HeadObject) or, to serve a plan
 * whose sizes, ETags and CRCs were recorded before (a manifest), with
 * `new S3RangedSource(...)`, which sends nothing.
 *
 * @example A source from a manifest's record, made without a request
 * ```ts
 * import assert from "node:assert/strict";
 * import { S3RangedSource } from "@zipstream/zipstream/s3";
 *
 * const client = { send: () => Promise.reject(new Error("no request expected")) };
 * const source = new S3RangedSource({
 *   client,
 *   bucket: "photos",
 *   key: "2026/a.jpg",
 *   size: 52_000,
 *   etag: "9b2cf535f27731c974343645a3985328",
 *   crc32: 0x1c291ca3,
 * });
 * assert.equal(source.identity, 's3://photos/2026/a.jpg "9b2cf535f27731c974343645a3985328"');
 * // An empty range is read without asking S3.
 * assert.deepEqual(await Array.fromAsync(source.read(10, 10)), []);
 * ```
 */
export class S3RangedSource implements RangedSource {
  /**
   * The client it reads with: `copyPlanToS3` copies the object server-side
   * when the target's client is this one.
   */
  readonly client: S3ClientLike;
  /** The bucket. */
  readonly bucket: string;
  /** The object's key. */
  readonly key: string;
  /** The version read, or `undefined` for the current one. */
  readonly versionId: string | undefined;
  /** The object's size in bytes. */
  readonly size: number;
  /** The object's ETag, quoted: what every read is pinned to. */
  readonly etag: string;
  /** The CRC-32 of its bytes, when S3 (or the manifest) gave it. */
  readonly crc32: number | undefined;
  /** When it was last modified, if known. */
  readonly lastModified: Date | undefined;
  /**
   * `s3://bucket/key`, `?versionId=...` for a version, a space and the
   * quoted ETag: the same in every run while the object is unchanged, so
   * that a CRC cache and the plan's ETag can rest on it.
   */
  readonly identity: string;

  #requests: S3Requests;

  /**
   * @param init The client, the object's location and what is known of it.
   * @throws {TypeError} A field of the wrong type.
   * @throws {RangeError} `size` or `crc32` out of range.
   */
  constructor(init: S3RangedSourceInit) {
    checkSourceInit(init);
    const { client, bucket, key, versionId, size, etag, crc32, lastModified } =
      init;
    this.client = client;
    this.bucket = bucket;
    this.key = key;
    this.versionId = versionId;
    this.size = size;
    // S3 quotes ETags in headers; a manifest may have stored either form.
    this.etag = etag.startsWith('"') ? etag : `"${etag}"`;
    this.crc32 = crc32;
    this.lastModified = lastModified;
    const version = versionId === undefined ? "" : `?versionId=${versionId}`;
    this.identity = `s3://${bucket}/${key}${version} ${this.etag}`;
    this.#requests = new S3Requests(client, WORK_RETRY);
  }

  /**
   * The object's bytes from `start` (inclusive) to `end` (exclusive), as a
   * stream that sends its ranged GetObject when first pulled.
   *
   * @param start The first byte, from 0 to `end`.
   * @param end The byte after the last, from `start` to `size`.
   * @returns Exactly `end - start` bytes, or a stream that fails with an
   * error naming the object: changed since the plan (its ETag no longer
   * matches), missing, or answering more or fewer bytes.
   * @throws {RangeError} unless `0 <= start <= end <= size`.
   */
  read(start: number, end: number): ReadableStream<Uint8Array> {
    checkRange(this, start, end);
    return rangedGet({
      requests: this.#requests,
      bucket: this.bucket,
      key: this.key,
      versionId: this.versionId,
      etag: this.etag,
      start,
      end,
    });
  }
}

/**
 * Makes an {@linkcode S3RangedSource} from one HeadObject (with
 * `ChecksumMode: "ENABLED"`): its size, ETag and last modification, and
 * its CRC-32 when S3 keeps a CRC32 checksum of the object, so that
 * `planZip` need not read the object to compute it. A checksum of the whole
 * object (`FULL_OBJECT`, or any object put in one request) is decoded as it
 * is; a multipart object's `COMPOSITE` checksum (a checksum of its parts'
 * checksums) is joined from its parts' CRC32s, listed with
 * GetObjectAttributes, and checked against it. An object with no checksum,
 * or one of another algorithm (CRC32C, CRC64NVME, SHA-1, SHA-256), has
 * `crc32` undefined: another algorithm's checksum is no CRC-32.
 *
 * Upload with a CRC32 to have one: `ChecksumAlgorithm: "CRC32"` on
 * PutObject or CreateMultipartUpload (the AWS SDK for JavaScript adds a
 * CRC32 to every upload by default since version 3.729).
 *
 * @param client The client, e.g. `new S3Client({ ... })`.
 * @param location The bucket, the key and, optionally, the version.
 * @returns The source; nothing of the object's data has been read.
 * @throws {TypeError} A location field of the wrong type, or a HeadObject
 * answer without a size or an ETag.
 * @throws {Error} HeadObject (or GetObjectAttributes) failed, e.g. no such
 * object, naming it.
 *
 * @example Taking an object's CRC-32 from its checksum (a client double stands in for `new S3Client({...})`)
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeadObjectCommand } from "@aws-sdk/client-s3";
 * import { crc32 } from "@zipstream/zipstream";
 * import { s3RangedSource } from "@zipstream/zipstream/s3";
 *
 * const data = new TextEncoder().encode("Hello, ranged S3!");
 * // S3's x-amz-checksum-crc32: the CRC's 4 bytes, big-endian, in base64.
 * const checksum = new Uint8Array(4);
 * new DataView(checksum.buffer).setUint32(0, crc32(data));
 * const client = {
 *   send(command: { input: { Range?: string } }) {
 *     if (command instanceof HeadObjectCommand) {
 *       return Promise.resolve({
 *         ContentLength: data.length,
 *         ETag: '"v1"',
 *         ChecksumCRC32: btoa(String.fromCharCode(...checksum)),
 *       });
 *     }
 *     // GetObject: the range asked for, "bytes=first-last", as S3 answers it.
 *     const [first, last] = command.input.Range!.slice(6).split("-").map(Number);
 *     const bytes = data.slice(first, last! + 1);
 *     return Promise.resolve({
 *       ETag: '"v1"',
 *       ContentLength: bytes.length,
 *       Body: { transformToWebStream: () => ReadableStream.from([bytes]) },
 *     });
 *   },
 * };
 * const source = await s3RangedSource(client, { bucket: "b", key: "hello.txt" });
 * assert.equal(source.size, data.length);
 * assert.equal(source.crc32, crc32(data));
 * assert.equal(await new Response(source.read(7, 13)).text(), "ranged");
 * ```
 */
export async function s3RangedSource(
  client: S3ClientLike,
  location: S3ObjectLocation,
): Promise<S3RangedSource> {
  const head = resolveHeadLocation(client, location);
  return await headSource(client, new S3Requests(client, WORK_RETRY), head);
}

/** What {@linkcode s3PlanEntries} lists. */
export interface S3PlanEntriesOptions {
  /** The bucket. */
  bucket: string;
  /**
   * Only keys that start with this are listed, each named by the rest of
   * the key after the prefix's last `/`, as `s3Entries` names them: with
   * `"photos/"`, `photos/2024/a.jpg` becomes `2024/a.jpg`.
   *
   * @default {""} (the whole bucket)
   */
  prefix?: string;
  /**
   * HeadObject requests in flight at once, from 1 to 256.
   *
   * @default {16}
   */
  concurrency?: number;
}

/** A planned archive's entry for one S3 object. */
export interface S3PlanEntry {
  /** The member's path inside the archive. */
  name: string;
  /** The object, read only for the ranges an archive slice covers. */
  data: S3RangedSource;
  /** When the object was last modified, if S3 said. */
  lastModified?: Date;
}

/**
 * Lists the objects under a prefix (ListObjectsV2, every page) and makes a
 * plan entry of each with {@linkcode s3RangedSource}, `concurrency`
 * HeadObject requests at a time, so that `planZip` lays out an archive of
 * them and takes their CRCs from S3's checksums where S3 keeps CRC32s.
 *
 * Folder markers, keys ending in `/` that hold no bytes, are left out: a
 * planned archive holds files, and the folders appear in the files' names.
 * A key ending in `/` that holds bytes cannot be a ZIP file entry (the name
 * would make it a folder), so it is refused rather than dropped.
 *
 * @param client The client, e.g. `new S3Client({ ... })`.
 * @param options The bucket, the prefix and how many HEADs at once.
 * @returns The entries, in key order.
 * @throws {TypeError} An option of the wrong type, or a key ending in `/`
 * that holds bytes.
 * @throws {RangeError} `concurrency` out of range.
 * @throws {Error} A listing or HeadObject that failed, naming the prefix or
 * the object.
 *
 * @example Planning a folder's objects (a client double stands in for `new S3Client({...})`)
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
 * import { s3PlanEntries } from "@zipstream/zipstream/s3";
 *
 * const client = {
 *   send(command: object) {
 *     if (command instanceof ListObjectsV2Command) {
 *       return Promise.resolve({
 *         Contents: [
 *           { Key: "reports/", Size: 0 },
 *           { Key: "reports/2024/q1.csv", Size: 120 },
 *         ],
 *       });
 *     }
 *     if (command instanceof HeadObjectCommand) {
 *       return Promise.resolve({ ContentLength: 120, ETag: '"e1"', LastModified: new Date(0) });
 *     }
 *     return Promise.reject(new Error("no other request expected"));
 *   },
 * };
 * const entries = await s3PlanEntries(client, { bucket: "exports", prefix: "reports/" });
 * assert.deepEqual(entries.map((entry) => [entry.name, entry.data.size]), [["2024/q1.csv", 120]]);
 * assert.equal(entries[0]!.data.crc32, undefined); // S3 kept no CRC32 for it
 * ```
 */
export async function s3PlanEntries(
  client: S3ClientLike,
  options: S3PlanEntriesOptions,
): Promise<S3PlanEntry[]> {
  const { bucket, prefix, concurrency } = resolvePlanOptions(client, options);
  const requests = new S3Requests(client, WORK_RETRY);
  const listed = await prefixKeys(requests, bucket, prefix);
  const entries: S3PlanEntry[] = new Array(listed.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    // After one HEAD fails, the plan is lost: no worker starts another.
    while (next < listed.length && !failed) {
      const index = next++;
      const { name, key } = listed[index]!;
      let data: S3RangedSource;
      try {
        data = await headSource(client, requests, {
          bucket,
          key,
          versionId: undefined,
        });
      } catch (error) {
        failed = true;
        throw error;
      }
      entries[index] = data.lastModified === undefined
        ? { name, data }
        : { name, data, lastModified: data.lastModified };
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, listed.length) }, worker),
  );
  return entries;
}

/** A source made from one HeadObject of the object. */
async function headSource(
  client: S3ClientLike,
  requests: S3Requests,
  location: HeadLocation,
): Promise<S3RangedSource> {
  const { size, etag, crc32, lastModified } = await headObject(
    client,
    requests,
    location,
  );
  const { versionId } = location;
  return new S3RangedSource({
    client,
    bucket: location.bucket,
    key: location.key,
    size,
    etag,
    ...(versionId === undefined ? {} : { versionId }),
    ...(crc32 === undefined ? {} : { crc32 }),
    ...(lastModified === undefined ? {} : { lastModified }),
  });
}
