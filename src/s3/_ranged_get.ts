/**
 * One byte range of an S3 object as a stream: a ranged GetObject pinned to
 * the ETag the plan was made with, sent only when the stream is first
 * pulled.
 *
 * @module
 */

import type { GetObjectCommandOutput } from "@aws-sdk/client-s3";
import { reasonOf } from "../_errors.ts";
import { bareEtag } from "./_etag.ts";
import { unwrap } from "./_retry.ts";
import { errorName } from "./_s3_error_fields.ts";
import type { S3Requests } from "./_s3_requests.ts";

/** Which bytes of which version of an object to read. */
export interface RangeRequest {
  requests: S3Requests;
  bucket: string;
  key: string;
  versionId: string | undefined;
  /** The ETag the plan holds: the read fails unless the object still has it. */
  etag: string;
  start: number;
  end: number;
}

/**
 * The bytes from `start` to `end` (exclusive). Nothing is sent until the
 * first pull, so a stream made and never read costs no request; an empty
 * range sends none at all (S3 answers `bytes=5-4` with the whole object).
 * The stream fails, with an error naming the object, when the object has
 * changed since the plan (S3 answers 412 to `If-Match`; an answer with
 * another ETag, from a server that ignores `If-Match`, counts the same), or
 * when the body holds more or fewer bytes than the range.
 */
export function rangedGet(request: RangeRequest): ReadableStream<Uint8Array> {
  const { start, end } = request;
  const length = end - start;
  if (length === 0) return new ReadableStream({ start: (c) => c.close() });
  const target = `s3://${request.bucket}/${request.key}`;
  const where = `bytes ${start} to ${end}`;
  const aborter = new AbortController();
  let body: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let received = 0;

  const pull = async (
    controller: ReadableStreamDefaultController<Uint8Array>,
  ) => {
    body ??= await open(request, aborter.signal, target, where);
    const { done, value } = await body.read();
    if (done) {
      if (received !== length) {
        throw new Error(
          `Cannot read ${target} ${where}: expected ${length} bytes but the body ended after ${received}`,
        );
      }
      controller.close();
      return;
    }
    received += value.length;
    if (received > length) {
      throw new Error(
        `Cannot read ${target} ${where}: expected ${length} bytes but the body holds more`,
      );
    }
    controller.enqueue(value);
  };

  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      try {
        await pull(controller);
      } catch (error) {
        // Lets go of the connection; the error fails this stream.
        aborter.abort(error);
        body?.cancel(error).catch(() => {});
        throw error;
      }
    },
    cancel: async (reason) => {
      aborter.abort(reason);
      await body?.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

async function open(
  request: RangeRequest,
  signal: AbortSignal,
  target: string,
  where: string,
): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const { requests, bucket, key, versionId, etag, start, end } = request;
  const changed = `Cannot read ${target}: it changed since the plan was made`;
  let output: GetObjectCommandOutput;
  try {
    output = await requests.getObject({
      Bucket: bucket,
      Key: key,
      ...(versionId === undefined ? {} : { VersionId: versionId }),
      Range: `bytes=${start}-${end - 1}`,
      IfMatch: etag,
    }, signal);
  } catch (error) {
    if (errorName(unwrap(error)) === "PreconditionFailed") {
      throw new Error(`${changed} (its ETag is no longer ${etag})`, {
        cause: unwrap(error),
      });
    }
    throw new Error(`Cannot read ${target} ${where}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
  if (output.ETag !== undefined && bareEtag(output.ETag) !== bareEtag(etag)) {
    output.Body?.transformToWebStream().cancel().catch(() => {});
    throw new Error(
      `${changed} (expected ETag ${etag} but GetObject answered ${output.ETag})`,
    );
  }
  if (output.Body === undefined) {
    throw new TypeError(
      `Cannot read ${target} ${where}: GetObject answered without a body`,
    );
  }
  const length = end - start;
  if (output.ContentLength !== undefined && output.ContentLength !== length) {
    // A server that ignores `Range` answers with the whole object.
    output.Body.transformToWebStream().cancel().catch(() => {});
    throw new Error(
      `Cannot read ${target} ${where}: expected an answer of ${length} bytes but GetObject answered ${output.ContentLength}`,
    );
  }
  // Cancelling this web stream destroys the SDK's body, and so the connection.
  return (output.Body.transformToWebStream() as ReadableStream<Uint8Array>)
    .getReader();
}
