/**
 * The options of `uploadToS3` and `S3UploadStream`.
 *
 * @module
 */

import type { S3ClientLike } from "./s3_client_like.ts";
import type { UploadCheckpoint } from "./upload_checkpoint.ts";
import type { RetryOptions } from "./retry_options.ts";

export type { RetryNotice, RetryOptions } from "./retry_options.ts";

/**
 * How an upload's progress is reported to `onProgress`.
 *
 * @example A percentage when the total is known
 * ```ts
 * import assert from "node:assert/strict";
 * import type { UploadProgress } from "@zipstream/zipstream/s3";
 *
 * const describe = (p: UploadProgress): string =>
 *   p.totalBytes === undefined
 *     ? `${p.bytesUploaded} bytes in ${p.partsUploaded} parts`
 *     : `${Math.floor((100 * p.bytesUploaded) / p.totalBytes)}%`;
 * assert.equal(
 *   describe({ bytesRead: 60, bytesUploaded: 50, partsUploaded: 1, totalBytes: 200 }),
 *   "25%",
 * );
 * ```
 */
export interface UploadProgress {
  /** Bytes taken from the source so far. */
  bytesRead: number;
  /** Bytes whose part (or whole object) the server has acknowledged. */
  bytesUploaded: number;
  /** Parts the server has acknowledged (1 after a single PutObject). */
  partsUploaded: number;
  /** The declared `contentLength`, when one was given. */
  totalBytes?: number;
}

/** A multipart upload that now exists on the server. */
export interface CreatedUpload {
  /** Its bucket. */
  bucket: string;
  /** Its key. */
  key: string;
  /** Its ID, which AbortMultipartUpload needs. */
  uploadId: string;
}

/**
 * Where and how to upload. Only `client`, `bucket` and `key` are required.
 *
 * @example Options for a large archive of known length
 * ```ts
 * import assert from "node:assert/strict";
 * import { S3Client } from "@aws-sdk/client-s3";
 * import type { UploadOptions } from "@zipstream/zipstream/s3";
 *
 * const client = new S3Client({ region: "us-east-1" });
 * const options: UploadOptions = {
 *   client,
 *   bucket: "exports",
 *   key: "2026/archive.zip",
 *   contentLength: 40 * 2 ** 30,
 *   concurrency: 8,
 *   contentDisposition: 'attachment; filename="archive.zip"',
 *   onProgress: ({ bytesUploaded }) => console.error(bytesUploaded),
 * };
 * assert.equal(options.contentType, undefined); // application/zip by default
 * client.destroy();
 * ```
 */
export interface UploadOptions {
  /** The client to send requests with, e.g. `new S3Client({ ... })`. */
  client: S3ClientLike;
  /** The target bucket. */
  bucket: string;
  /** The target key. */
  key: string;
  /**
   * Bytes per part, from 5 MiB to 5 GiB. The upload holds at most
   * `(concurrency + 1) * partSize` bytes of parts. It is raised when needed
   * to fit 10,000 parts: to `contentLength / 10,000` when the length is
   * known, and step by step after part 1,000 when it is not, so that a
   * stream of unknown length can reach 5 TiB. Memory follows: from the
   * default, an unknown length of 100 GiB ends in parts of about 158 MiB,
   * 1 TiB in parts of about 517 MiB; a known `contentLength` keeps them at
   * `contentLength / 10,000` (105 MiB for 1 TiB).
   *
   * @default {5242880} (5 MiB, S3's minimum, as lib-storage's)
   */
  partSize?: number;
  /**
   * Parts uploaded at the same time, from 1 to 64.
   *
   * @default {4}
   */
  concurrency?: number;
  /**
   * Whether each part (or the single PutObject) carries its MD5 as
   * `Content-MD5`, and each ETag answered is checked against it. Off by default
   * because every request body is protected already: it carries its CRC-32 as
   * `x-amz-checksum-crc32` (see `partChecksum`), which S3 checks, and over
   * plain HTTP its SHA-256 is signed, which the server checks (see
   * `payloadSigning`); the MD5 would cost another hash of every byte on the
   * main thread (a CPU profile put it at about 0.4 s per 256 MiB; W5 in
   * bench/README.md went from 0.85× to 1.17× of lib-storage without it). Turn
   * it on for a server that requires `Content-MD5`, or that ignores
   * `x-amz-checksum-crc32` (OpenStack Swift's s3api) when the payload is not
   * signed (HTTPS).
   *
   * Either way the stored size is checked with HeadObject, and a resumed
   * upload hashes the parts it skips with MD5 to compare them with the
   * checkpoint. The completed object's multipart ETag is checked against the
   * parts' MD5s (where ETags are MD5s: not under SSE-KMS or SSE-C); without
   * Content-MD5 those are the ETags the server answered for the parts, so
   * the check catches a wrong assembly of parts, not wrong bytes.
   *
   * @default {false}
   */
  contentMd5?: boolean;
  /**
   * Whether the SigV4 signature of each UploadPart and PutObject covers its
   * body, which costs a SHA-256 of every byte on the main thread:
   *
   * - `"auto"`: not over HTTPS (the request carries
   *   `x-amz-content-sha256: UNSIGNED-PAYLOAD`), signed over plain HTTP.
   * - `"always"`: signed, whatever the endpoint.
   * - `"never"`: never signed, whatever the endpoint.
   *
   * Every part also carries its CRC-32 as `x-amz-checksum-crc32`, unless
   * `partChecksum` is `"none"` (computed natively where the runtime allows,
   * once per part, instead of by the SDK), which S3 checks against the bytes it
   * receives (refusing a mismatch with BadDigest, which is retried); a checksum
   * S3 echoes that is not the one sent is retried as well.
   *
   * Why `"auto"` is safe: over HTTPS, TLS guards the bytes in transit against
   * damage and tampering alike, and S3 checks the CRC-32 against what it
   * received, so a signed SHA-256 would cost a hash of every byte and add
   * nothing (aws-sdk-go-v2 signs S3 payloads only over plain HTTP for the
   * same reason). Over plain HTTP nothing else binds the body to the
   * credentials: a CRC-32 or an MD5 catches accidents, but someone who
   * changes the body on the way can make its CRC-32 match again, so the
   * payload stays signed; and a server that ignores `x-amz-checksum-crc32`
   * then still checks every byte. `"never"` over plain HTTP is for a network
   * you trust (localhost, a private link) and a server that checks the
   * CRC-32, or with `contentMd5`. `"always"` is for a server that refuses
   * `UNSIGNED-PAYLOAD`, or that ignores `x-amz-checksum-crc32` (OpenStack
   * Swift's s3api) when it should still check the bytes it stores over HTTPS
   * (`contentMd5` does that too).
   *
   * @default {"auto"}
   */
  payloadSigning?: "auto" | "always" | "never";
  /**
   * The checksum each part (or a single PutObject) carries: `"crc32"` sends
   * `x-amz-checksum-crc32`, computed natively once per part, which S3
   * verifies. `"none"` sends none of zipstream's own and leaves checksums to
   * the client's `requestChecksumCalculation` setting: for S3-compatible
   * servers that refuse `x-amz-checksum-*` headers, together with a client
   * made with `requestChecksumCalculation: "WHEN_REQUIRED"`.
   *
   * @default {"crc32"}
   */
  partChecksum?: "crc32" | "none";
  /**
   * The body's exact length, when known (e.g. from `predictLength`): part
   * sizes are then planned exactly, and a body of another length fails the
   * upload.
   *
   * @default {undefined} (unknown)
   */
  contentLength?: number;
  /**
   * Aborts the upload: requests in flight are cancelled, the multipart upload
   * is aborted and the upload rejects with an `S3UploadError` whose
   * cause is the signal's reason.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Called as bytes are read and as parts are acknowledged. An exception
   * thrown here fails the upload.
   *
   * @default {undefined}
   */
  onProgress?: (progress: UploadProgress) => void;
  /**
   * The object's `Content-Type`.
   *
   * @default {"application/zip"}
   */
  contentType?: string;
  /**
   * The object's `Content-Disposition`, e.g. `attachment; filename="a.zip"`.
   *
   * @default {undefined}
   */
  contentDisposition?: string;
  /**
   * User metadata (`x-amz-meta-*`).
   *
   * @default {undefined}
   */
  metadata?: Record<string, string>;
  /**
   * Object tags, as a `key=value&...` query string or as a record.
   *
   * @default {undefined}
   */
  tagging?: string | Record<string, string>;
  /**
   * The storage class, e.g. `"STANDARD_IA"`.
   *
   * @default {undefined} (the bucket's default)
   */
  storageClass?: string;
  /**
   * Server-side encryption of the object: `"AES256"` (SSE-S3), `"aws:kms"`
   * (SSE-KMS) or `"aws:kms:dsse"`.
   *
   * @default {undefined} (the bucket's default)
   */
  serverSideEncryption?: "AES256" | "aws:kms" | "aws:kms:dsse";
  /**
   * The KMS key of `serverSideEncryption` `"aws:kms"` or `"aws:kms:dsse"`.
   *
   * @default {undefined} (the account's AWS managed key)
   */
  sseKmsKeyId?: string;
  /**
   * Retry and timeout settings of the upload's work: creating it, its parts,
   * completing it.
   *
   * @default {{}} (every {@linkcode RetryOptions} default for `retry`)
   */
  retry?: RetryOptions;
  /**
   * Retry and timeout settings of what follows a failure: aborting the
   * upload and checking that it is gone, and finding out whether a
   * completion whose answer was lost stored the object. Longer than
   * `retry` by default, so that an upload that failed because the server
   * went away is still cleaned up when it comes back.
   *
   * @default {{}} (every {@linkcode RetryOptions} default for `cleanupRetry`)
   */
  cleanupRetry?: RetryOptions;
  /**
   * Called once the multipart upload exists and again after each part the
   * server acknowledges, with what a later run needs to resume it (plain
   * JSON). Calls do not overlap: a returned promise is awaited before the
   * next call, and the part's upload slot is held until then, so a
   * checkpoint written here is never older than the one before. An
   * exception or rejection fails the upload. Not called for a body that fits
   * one PutObject.
   *
   * @default {undefined}
   */
  onCheckpoint?: (checkpoint: UploadCheckpoint) => void | Promise<void>;
  /**
   * Called once CreateMultipartUpload has answered, before any part is sent,
   * with the new upload's bucket, key and ID: the moment to record it
   * somewhere that outlives the process (a journal a later cleanup reads),
   * since parts sent to it are billed until it is completed or aborted. A
   * returned promise is awaited first; an exception or rejection fails the
   * upload, which is then aborted. Not called for a body that fits one
   * PutObject, nor when resuming (the upload exists already).
   *
   * @default {undefined}
   */
  onUploadCreated?: (upload: CreatedUpload) => void | Promise<void>;
  /**
   * Resume the multipart upload a checkpoint describes instead of creating
   * one. The body must be the same bytes as before (or those from
   * `bodyOffset` on). No CreateMultipartUpload is sent; ListParts must show
   * the checkpoint's parts. The bytes of each completed part are hashed
   * again and compared with the checkpoint, not sent; a part the server holds
   * beyond the checkpoint is not sent again either when its ETag is the MD5
   * of the new bytes. The first missing part onwards is uploaded as usual.
   * `bucket` and `key` must be the checkpoint's; `partSize` and
   * `contentLength` default to the checkpoint's and must equal them if given.
   * The object's content type, metadata, tags and storage class were fixed
   * when the upload was created; those options are ignored here.
   *
   * Should the bytes differ from the checkpoint (an input changed), the
   * upload fails with an `S3UploadError` naming the part and is
   * NOT aborted: resume again with the original inputs, or abort the upload
   * ID the error names. If the upload no longer exists because the earlier
   * run completed it and stopped before discarding the checkpoint, the
   * object at the key is recognised by its multipart ETag and size: nothing
   * is sent, the body is cancelled, and the result says `completedEarlier`.
   * If it no longer exists otherwise (aborted or expired), the upload fails
   * without sending anything.
   *
   * @default {undefined} (a new upload)
   */
  resume?: UploadCheckpoint;
  /**
   * With `resume`, the body byte the given body starts at: the bytes before
   * it are taken as sent and verified by the earlier run. It must be 0 or the
   * end of a part in the checkpoint's gapless run of parts from part 1, and
   * `checkpointOffset(resume)` gives the furthest such byte. Pair it with
   * `zip()`'s `resume.offset` so entries wholly before it are not read again.
   *
   * @default {0}
   */
  bodyOffset?: number;
  /**
   * Whether a failure aborts the multipart upload. Set `false` to keep an
   * upload whose progress `onCheckpoint` records, so that it can be resumed
   * after a failure too: the upload and its parts then remain until resumed
   * or aborted (S3 bills their storage meanwhile), and the error's
   * `uploadKept` is true. An upload no checkpoint was reported for is
   * aborted all the same: nothing could resume it.
   *
   * @default {true}
   */
  abortOnFailure?: boolean;
  /**
   * When to pause, for a run with a time limit (a serverless function):
   * no part starts that would be answered after this time (a `Date`, or
   * milliseconds since the epoch), judging by the longest this run's parts
   * have taken; the parts in flight finish, the upload is kept, and
   * `uploadToS3` resolves with a `PausedUpload`
   * whose `checkpoint` a later run resumes with `resume` (and the body from
   * `checkpointOffset(checkpoint)`). Every run sends at least one part
   * before it pauses, so a loop of runs always ends. Needs `onCheckpoint`.
   */
  deadline?: Date | number;
}
