/**
 * Streams bytes (a zip archive from `zip()`, or any `ReadableStream`) into
 * S3-compatible storage with a multipart upload that never leaves a mess:
 * bounded memory with backpressure, part sizes that reach 5 TiB for streams
 * of unknown length, retries with backoff, per-part Content-MD5, a CRC-32 and
 * size of the whole object computed on the way, and an aborted upload on any
 * failure.
 *
 * @example
 * ```ts ignore
 * import { S3Client } from "@aws-sdk/client-s3";
 * import { zip } from "@zipstream/zipstream";
 * import { uploadToS3 } from "@zipstream/zipstream/s3";
 *
 * const result = await uploadToS3(zip(entries), {
 *   client: new S3Client({}),
 *   bucket: "exports",
 *   key: "report.zip",
 * });
 * console.log(result.size, result.crc32.toString(16));
 * ```
 *
 * @module
 */

export { uploadToS3 } from "./upload_to_s3.ts";
export { S3UploadStream } from "./s3_upload_stream.ts";
export { S3UploadError, type S3UploadErrorOptions } from "./s3_upload_error.ts";
export type {
  RetryOptions,
  UploadOptions,
  UploadProgress,
} from "./upload_options.ts";
export type { UploadResult } from "./upload_result.ts";
export type { S3ClientLike, S3UploadCommand } from "./s3_client_like.ts";
