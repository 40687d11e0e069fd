/**
 * Uploading the archive to an S3 object with `uploadToS3`, keeping the
 * multipart upload in the journal while it exists.
 *
 * @module
 */

import type { S3Client } from "@aws-sdk/client-s3";
import { causeChain } from "../_errors.ts";
import { S3UploadError } from "../s3/s3_upload_error.ts";
import type { UploadCheckpoint } from "../s3/upload_checkpoint.ts";
import type {
  CreatedUpload,
  RetryOptions,
  UploadOptions,
} from "../s3/upload_options.ts";
import type { PausedUpload, UploadResult } from "../s3/upload_result.ts";
import { CliError, findCliError } from "./_cli_error.ts";
import type { CurrentUpload } from "./_interrupt.ts";
import type { Journal, JournalEntry, UploadFields } from "./_journal.ts";
import type { ObjectOptions } from "./_object_options.ts";
import { requireCredentials, s3Client } from "./_s3_client.ts";
import { type Leftover, OutputFailure } from "./_target.ts";

/** Where and how to upload. */
export interface S3SinkOptions {
  bucket: string;
  key: string;
  endpoint: string | undefined;
  region: string | undefined;
  /** `--profile`: the SDK profile of credentials and region. */
  profile: string | undefined;
  /** The object's storage class, encryption, content type and metadata. */
  object: ObjectOptions;
  partSize: number | undefined;
  concurrency: number | undefined;
  contentMd5: boolean;
  /** `--payload-signing`; `undefined` leaves the library's default. */
  payloadSigning: "auto" | "always" | "never" | undefined;
  /** `--part-checksum`; `undefined` leaves the library's default. */
  partChecksum: "crc32" | "none" | undefined;
  /** The archive's exact length, when `predictLength` knows it. */
  contentLength: number | undefined;
  /** `--retries`, `--retry-max-time`: the budget of the upload's work. */
  retry: RetryOptions;
  /** `--cleanup-max-time`: the budget of aborting it after a failure. */
  cleanupRetry: RetryOptions;
  signal: AbortSignal;
  /**
   * `--max-time`: when no new part may start, in milliseconds since the
   * epoch; the upload is then kept for `resume`, which must be given.
   */
  deadline?: number;
  onUploaded: (bytesUploaded: number) => void;
  /** Where the multipart upload is recorded while it exists. */
  journal: Journal;
  /** Told of the multipart upload once it exists, and again once it is recorded. */
  onUpload: (upload: CurrentUpload) => void;
  /** `--resume`: keep the upload on failure, report checkpoints, continue a recorded one. */
  resume?: {
    /** FILE, as given. */
    path: string;
    /** FILE's absolute path, for the journal. */
    absolutePath: string;
    checkpoint: UploadCheckpoint | undefined;
    bodyOffset: number;
    save: (checkpoint: UploadCheckpoint) => Promise<void>;
  };
}

/** The uploaded object. */
export interface S3Object {
  /** `"stored-unverified"` when the server stored it but it could not be checked. */
  outcome: UploadResult["outcome"];
  /** What could not be checked, with `"stored-unverified"`. */
  unverified: string | undefined;
  size: number;
  etag: string;
  /** `--resume` found the upload completed by the run that wrote the checkpoint. */
  completedEarlier: boolean;
}

/** The upload kept at `--max-time`, for the next run to resume. */
export type PausedObject = Pick<
  PausedUpload,
  "outcome" | "uploadId" | "bytesUploaded" | "parts"
>;

/**
 * Streams the archive into `s3://bucket/key`. The multipart upload is in
 * the journal from before its first part until it is completed or the
 * server confirmed it gone; a failure leaves the record when the upload is
 * still pending, for `zipstream cleanup`. At the `deadline` the upload is
 * kept with its record, its checkpoint given to `resume.save`.
 *
 * @throws {OutputFailure} The upload failed; its `leftover` is what the
 * library verified: nothing stored, or the upload ID still pending.
 */
export async function writeToS3(
  archive: ReadableStream<Uint8Array>,
  options: S3SinkOptions,
): Promise<S3Object | PausedObject> {
  const [client, { uploadToS3 }] = await Promise.all([
    s3Client(
      options.endpoint,
      options.region,
      options.partChecksum === "none",
      options.profile,
    ),
    import("../s3/mod.ts"),
  ]);
  const { resume, bucket, key } = options;
  try {
    await requireCredentials(client, `s3://${bucket}/${key}`);
  } catch (error) {
    client.destroy();
    throw error;
  }
  let entry: JournalEntry | undefined;
  let result: UploadResult | PausedUpload;
  const track = async (upload: CreatedUpload) => {
    options.onUpload({ uploadId: upload.uploadId, recorded: false });
    entry = await options.journal.record({
      uploadId: upload.uploadId,
      bucket: upload.bucket,
      key: upload.key,
      ...await serverOf(client),
      // The profile the SDK signed with, so that a later sweep signs alike.
      profile: options.profile ?? (Deno.env.get("AWS_PROFILE") || null),
      resumeFile: resume?.absolutePath ?? null,
    });
    options.onUpload({ uploadId: upload.uploadId, recorded: true });
  };
  try {
    // A resumed upload exists already: uploadToS3 creates none to report.
    if (resume?.checkpoint !== undefined) await track(resume.checkpoint);
    const upload: UploadOptions = {
      client,
      bucket,
      key,
      signal: options.signal,
      ...(options.partSize === undefined ? {} : { partSize: options.partSize }),
      ...(options.concurrency === undefined
        ? {}
        : { concurrency: options.concurrency }),
      contentMd5: options.contentMd5,
      ...(options.payloadSigning === undefined
        ? {}
        : { payloadSigning: options.payloadSigning }),
      ...(options.partChecksum === undefined
        ? {}
        : { partChecksum: options.partChecksum }),
      ...(options.contentLength === undefined
        ? {}
        : { contentLength: options.contentLength }),
      ...options.object,
      retry: options.retry,
      cleanupRetry: options.cleanupRetry,
      onUploadCreated: track,
      onProgress: (progress) => options.onUploaded(progress.bytesUploaded),
      ...(resume === undefined ? {} : {
        abortOnFailure: false,
        onCheckpoint: resume.save,
        ...(resume.checkpoint === undefined
          ? {}
          : { resume: resume.checkpoint, bodyOffset: resume.bodyOffset }),
      }),
    };
    result = options.deadline === undefined
      ? await uploadToS3(archive, upload)
      : await uploadToS3(archive, { ...upload, deadline: options.deadline });
  } catch (error) {
    const leftover = leftoverOf(error, options, entry !== undefined);
    // A record that cannot be removed after the upload was confirmed gone
    // only costs a later cleanup the check that finds it gone.
    if (leftover.kind === "upload-pending") entry?.release();
    else await entry?.remove().catch(() => {});
    // An interruption or an unreadable input is reported as such by the caller.
    const reported = options.signal.aborted || findCliError(error) !== undefined
      ? error
      : new CliError(describeUploadError(error, options), { cause: error });
    throw new OutputFailure(leftover, reported);
  } finally {
    client.destroy();
  }
  if (result.outcome === "paused") {
    // Kept for --resume: the record stays, and a sweep leaves it pending.
    entry?.release();
    const { outcome, uploadId, bytesUploaded, parts } = result;
    return { outcome, uploadId, bytesUploaded, parts };
  }
  // The object is stored: a record that cannot be removed only costs a
  // later cleanup the check that finds its upload gone.
  await entry?.remove().catch(() => {});
  return {
    outcome: result.outcome,
    unverified: result.unverified,
    size: result.size,
    etag: result.etag,
    completedEarlier: result.completedEarlier,
  };
}

/** What the failed upload left, as the library verified it. */
function leftoverOf(
  error: unknown,
  options: S3SinkOptions,
  recorded: boolean,
): Leftover {
  const target = `s3://${options.bucket}/${options.key}`;
  const failed = causeChain(error).find((cause): cause is S3UploadError =>
    cause instanceof S3UploadError
  );
  const checkpoint = options.resume?.checkpoint;
  if (failed === undefined) {
    // Stopped before uploadToS3 could act (the journal could not be written
    // for a resumed upload): the upload FILE records is untouched.
    return checkpoint === undefined ? { kind: "nothing" } : {
      kind: "upload-pending",
      target,
      uploadId: checkpoint.uploadId,
      resumeFile: options.resume?.path,
      recorded,
    };
  }
  if (failed.outcome === "nothing-left") {
    return { kind: "upload-gone", target, uploadId: failed.uploadId };
  }
  if (failed.objectUnknown && failed.uploadId === undefined) {
    return { kind: "object-unknown", target };
  }
  return {
    kind: "upload-pending",
    target,
    uploadId: failed.uploadId,
    resumeFile: failed.uploadKept ? options.resume?.path : undefined,
    recorded,
  };
}

/** The server and region the client talks to, as the journal records them. */
export async function serverOf(
  client: S3Client,
): Promise<Pick<UploadFields, "endpoint" | "region">> {
  const endpoint = await client.config.endpoint?.();
  const region = await client.config.region().catch(() => null);
  if (endpoint === undefined) return { endpoint: null, region };
  // A bare IPv6 address needs its brackets back to be a URL again.
  const host = endpoint.hostname.includes(":") &&
      !endpoint.hostname.startsWith("[")
    ? `[${endpoint.hostname}]`
    : endpoint.hostname;
  const port = endpoint.port === undefined ? "" : `:${endpoint.port}`;
  return {
    endpoint: `${endpoint.protocol}//${host}${port}${endpoint.path}`,
    region,
  };
}

function describeUploadError(error: unknown, options: S3SinkOptions): string {
  const target = `s3://${options.bucket}/${options.key}`;
  const messages: string[] = [];
  for (const current of causeChain(error).slice(0, 4)) {
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
