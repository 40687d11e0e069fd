/**
 * Uploading the archive to an S3 object with `uploadToS3`.
 *
 * @module
 */

import { CliError, findCliError } from "./_cli_error.ts";

/** Where and how to upload. */
export interface S3SinkOptions {
  bucket: string;
  key: string;
  endpoint: string | undefined;
  region: string | undefined;
  partSize: number | undefined;
  concurrency: number | undefined;
  /** The archive's exact length, when `predictLength` knows it. */
  contentLength: number | undefined;
  signal: AbortSignal;
  onUploaded: (bytesUploaded: number) => void;
}

/** The uploaded object. */
export interface S3Object {
  size: number;
  etag: string;
}

/**
 * Streams the archive into `s3://bucket/key`. On failure or abort the
 * multipart upload has been aborted by `uploadToS3` before this rejects.
 */
export async function writeToS3(
  archive: ReadableStream<Uint8Array>,
  options: S3SinkOptions,
): Promise<S3Object> {
  // Loaded only for S3 targets: the SDK takes most of the CLI's start-up time.
  const [{ S3Client }, { uploadToS3 }] = await Promise.all([
    import("@aws-sdk/client-s3"),
    import("../s3/mod.ts"),
  ]);
  const env = Deno.env.toObject();
  const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_S3 ??
    env.AWS_ENDPOINT_URL;
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ??
    (endpoint === undefined ? undefined : "us-east-1");
  const client = new S3Client({
    ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
    ...(region === undefined ? {} : { region }),
  });
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
      ...(options.contentLength === undefined
        ? {}
        : { contentLength: options.contentLength }),
      onProgress: (progress) => options.onUploaded(progress.bytesUploaded),
    });
    return { size: result.size, etag: result.etag };
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
