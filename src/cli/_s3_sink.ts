/**
 * Uploading the archive to an S3 object with `uploadToS3`.
 *
 * @module
 */

import type { UploadCheckpoint } from "../s3/upload_checkpoint.ts";
import { CliError, findCliError } from "./_cli_error.ts";
import { s3Client } from "./_s3_client.ts";

/** Where and how to upload. */
export interface S3SinkOptions {
  bucket: string;
  key: string;
  endpoint: string | undefined;
  region: string | undefined;
  partSize: number | undefined;
  concurrency: number | undefined;
  contentMd5: boolean;
  /** The archive's exact length, when `predictLength` knows it. */
  contentLength: number | undefined;
  signal: AbortSignal;
  onUploaded: (bytesUploaded: number) => void;
  /** `--resume`: keep the upload on failure, report checkpoints, continue a recorded one. */
  resume?: {
    checkpoint: UploadCheckpoint | undefined;
    bodyOffset: number;
    save: (checkpoint: UploadCheckpoint) => Promise<void>;
  };
}

/** The uploaded object. */
export interface S3Object {
  size: number;
  etag: string;
  /** `--resume` found the upload completed by the run that wrote the checkpoint. */
  completedEarlier: boolean;
}

/**
 * Streams the archive into `s3://bucket/key`. On failure or abort the
 * multipart upload has been aborted by `uploadToS3` before this rejects, unless
 * `resume` keeps it for a later run.
 */
export async function writeToS3(
  archive: ReadableStream<Uint8Array>,
  options: S3SinkOptions,
): Promise<S3Object> {
  const [client, { uploadToS3 }] = await Promise.all([
    s3Client(options.endpoint, options.region),
    import("../s3/mod.ts"),
  ]);
  const { resume } = options;
  try {
    const result = await uploadToS3(archive, {
      client,
      bucket: options.bucket,
      key: options.key,
      signal: options.signal,
      ...(options.partSize === undefined ? {} : { partSize: options.partSize }),
      ...(options.concurrency === undefined
        ? {}
        : { concurrency: options.concurrency }),
      contentMd5: options.contentMd5,
      ...(options.contentLength === undefined
        ? {}
        : { contentLength: options.contentLength }),
      onProgress: (progress) => options.onUploaded(progress.bytesUploaded),
      ...(resume === undefined ? {} : {
        abortOnFailure: false,
        onCheckpoint: resume.save,
        ...(resume.checkpoint === undefined
          ? {}
          : { resume: resume.checkpoint, bodyOffset: resume.bodyOffset }),
      }),
    });
    return {
      size: result.size,
      etag: result.etag,
      completedEarlier: result.completedEarlier,
    };
  } catch (error) {
    // An interruption or an unreadable input is reported as such by the caller.
    if (options.signal.aborted || findCliError(error) !== undefined) {
      throw error;
    }
    throw new CliError(describeUploadError(error, options), { cause: error });
  } finally {
    client.destroy();
  }
}

function describeUploadError(error: unknown, options: S3SinkOptions): string {
  const target = `s3://${options.bucket}/${options.key}`;
  const messages: string[] = [];
  for (
    let current: unknown = error;
    current instanceof Error && messages.length < 4;
    current = current.cause
  ) {
    // Wrappers often repeat their cause's message; say each thing once.
    const message = current.message.replace(/\.$/, "");
    if (!messages.some((previous) => previous.includes(message))) {
      messages.push(message);
    }
  }
  const detail = messages.join(": ") || String(error);
  return detail.includes(target)
    ? detail
    : `Cannot upload to ${target}: ${detail}`;
}
