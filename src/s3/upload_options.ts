/**
 * The options of `uploadToS3` and `S3UploadStream`.
 *
 * @module
 */

import type { S3ClientLike } from "./s3_client_like.ts";

/** How an upload's progress is reported to `onProgress`. */
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

/**
 * How requests that fail for transient reasons (5xx, `SlowDown`, timeouts,
 * dropped connections) are retried. Each request is retried on its own, from
 * bytes the upload still holds, with exponential backoff and jitter: before
 * attempt `n + 1` it waits between half and all of
 * `min(maxDelay, baseDelay * 2 ** (n - 1))` milliseconds.
 *
 * The client may retry on its own too (`S3Client`'s `maxAttempts`, default 3);
 * its attempts happen inside each of these.
 */
export interface RetryOptions {
  /**
   * Attempts per request, the first included: 1 means never retry.
   *
   * @default {5}
   */
  attempts?: number;
  /**
   * Milliseconds of backoff before the first retry.
   *
   * @default {250}
   */
  baseDelay?: number;
  /**
   * Milliseconds that no backoff exceeds.
   *
   * @default {20000}
   */
  maxDelay?: number;
  /**
   * Milliseconds one attempt of a request may take, on top of
   * `timeoutPerMiB` for each MiB it sends, before it is abandoned and retried.
   * This catches a server or network that stalls without closing the
   * connection.
   *
   * @default {60000}
   */
  timeout?: number;
  /**
   * Milliseconds added to `timeout` for each MiB of request body (1,000: the
   * body may go as slowly as 1 MiB/s).
   *
   * @default {1000}
   */
  timeoutPerMiB?: number;
}

/** Where and how to upload. Only `client`, `bucket` and `key` are required. */
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
   * default, an unknown length of 100 GiB ends in parts of about 155 MiB,
   * 1 TiB in parts of about 515 MiB; a known `contentLength` keeps them at
   * `contentLength / 10,000` (105 MiB for 1 TiB).
   *
   * @default {8388608} (8 MiB)
   */
  partSize?: number;
  /**
   * Parts uploaded at the same time, from 1 to 64.
   *
   * @default {4}
   */
  concurrency?: number;
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
   * Retry and timeout settings.
   *
   * @default {{}} (every {@linkcode RetryOptions} default)
   */
  retry?: RetryOptions;
}
