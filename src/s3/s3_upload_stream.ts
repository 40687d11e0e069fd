/**
 * A writable stream that uploads what is written to it to S3.
 *
 * @module
 */

import type { UploadOptions } from "./upload_options.ts";
import type { UploadResult } from "./upload_result.ts";
import { UploadSession } from "./_upload_session.ts";

/**
 * Uploads the bytes written to it as one S3 object: a single PutObject when
 * they fit in one part (an empty stream included), otherwise a multipart
 * upload of up to `concurrency` parts in flight.
 *
 * Memory stays under `(concurrency + 1) * partSize` bytes of parts: a write
 * does not finish while every upload slot is busy, so a piped source (such
 * as `zip()`) is read no faster than S3 accepts parts.
 *
 * Each request is retried on transient failures, within the `retry` budget (by
 * default enough to ride out a server gone for 30 seconds). On any failure (a
 * part whose retries ran out, the source erroring, `signal` aborting, the
 * writer aborting) the multipart upload is aborted (unless kept: see
 * `abortOnFailure`), and ListParts asked to confirm it gone, within the
 * separate `cleanupRetry` budget (5 minutes by default); only then does the
 * stream error and `result` reject, with an {@linkcode S3UploadError} whose
 * `outcome` says whether anything is left. A completion whose answer went wrong
 * is first checked against the object at the key: see `uploadToS3`.
 *
 * An upload can outlive its process: `onCheckpoint` reports after each part
 * what a later run needs, `abortOnFailure: false` keeps the upload when it
 * fails, and `resume` (with `bodyOffset`) continues it, checking the bytes
 * of completed parts instead of sending them; see `UploadCheckpoint`.
 *
 * @example Piping a stream into S3 (here, a client double that answers every command)
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeadObjectCommand } from "@aws-sdk/client-s3";
 * import { S3UploadStream } from "@zipstream/zipstream/s3";
 *
 * const sent: string[] = [];
 * const client = {
 *   send(command: object) {
 *     sent.push(command.constructor.name);
 *     return Promise.resolve(
 *       command instanceof HeadObjectCommand
 *         ? { ContentLength: 5, ETag: '"etag"' }
 *         // The MD5 of "hello", as S3 answers a PutObject without encryption.
 *         : { ETag: '"5d41402abc4b2a76b9719d911017c592"' },
 *     );
 *   },
 * };
 * const upload = new S3UploadStream({ client, bucket: "b", key: "hello.txt" });
 * await ReadableStream.from([new TextEncoder().encode("hello")]).pipeTo(upload);
 * const result = await upload.result;
 * assert.equal(result.size, 5);
 * assert.equal(result.parts, 1);
 * assert.deepEqual(sent, ["PutObjectCommand", "HeadObjectCommand"]);
 * ```
 */
export class S3UploadStream extends WritableStream<Uint8Array> {
  /**
   * The uploaded object, once the stream has closed and the upload finished;
   * rejects with an {@linkcode S3UploadError} once a failed upload was
   * cleaned up.
   */
  readonly result: Promise<UploadResult>;

  /**
   * Checks the options; nothing is sent before the first write (or close).
   *
   * @param options Where to upload and how; see {@linkcode UploadOptions}.
   * @throws {TypeError} An option of the wrong type, or `deadline`, which
   * only `uploadToS3` takes (its result may then be a paused upload).
   * @throws {RangeError} An option out of range.
   */
  constructor(options: UploadOptions) {
    if (options?.deadline !== undefined) {
      throw new TypeError(
        "Cannot create an S3UploadStream: expected no deadline (uploadToS3 takes one, and may then resolve with a paused upload) but got one",
      );
    }
    const session = new UploadSession(options);
    super(session.sink());
    // Without a deadline the session never pauses.
    this.result = session.result as Promise<UploadResult>;
  }
}
