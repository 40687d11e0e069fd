/**
 * A failed upload's first failure, and what becomes of its multipart upload:
 * aborted (and checked gone), or kept for a resume, and the error that says
 * which.
 *
 * @module
 */

import type { MultipartProtocol, UploadTarget } from "./_multipart_protocol.ts";
import { reasonOf, unwrap } from "./_retry.ts";
import { S3UploadError } from "./s3_upload_error.ts";

/** What becomes of the multipart upload when the session fails. */
export type Disposition =
  /** Aborted; or kept if the caller holds a checkpoint and said `abortOnFailure: false`. */
  | { kind: "as-configured" }
  /** It no longer exists: there is nothing to abort or keep. */
  | { kind: "gone" }
  /** Left as it is whatever `abortOnFailure` says, for the reason `kept` gives. */
  | { kind: "keep"; kept: "resumable" | "inputs-changed" };

/** The first failure of an upload. */
export interface Failure {
  what: string;
  cause: unknown;
  partNumber: number | undefined;
  disposition: Disposition;
}

/** Where the upload stood when it failed. */
export interface FailedUpload {
  readonly target: UploadTarget;
  /** Its ID, once CreateMultipartUpload answered. */
  readonly uploadId: string | undefined;
  /** Whether CompleteMultipartUpload (or PutObject) succeeded. */
  readonly completed: boolean;
  /** Whether a failure `as-configured` keeps the upload: the caller said so and holds a checkpoint. */
  readonly keepAsConfigured: boolean;
}

/**
 * Aborts the upload unless it is to be kept, tidies the uploads lost
 * CreateMultipartUpload answers may have begun, and builds the error.
 */
export async function cleanUp(
  failure: Failure,
  upload: FailedUpload,
  protocol: MultipartProtocol,
): Promise<S3UploadError> {
  const { disposition } = failure;
  const { uploadId } = upload;
  const keep = disposition.kind !== "as-configured" || upload.keepAsConfigured;
  let outcome = "";
  let kept = false;
  let left: "nothing-left" | "pending" = "nothing-left";
  if (uploadId !== undefined && keep) {
    if (disposition.kind !== "gone") {
      outcome = keptNote(
        disposition.kind === "keep" ? disposition.kept : "resumable",
        uploadId,
      );
      kept = true;
      left = "pending";
    }
  } else if (uploadId !== undefined && !upload.completed) {
    try {
      await protocol.abort(uploadId);
      outcome = "; the multipart upload was aborted";
    } catch (error) {
      outcome = `; aborting it failed too, so its parts may remain (${
        reasonOf(error)
      })`;
      left = "pending";
    }
  }
  outcome += await protocol.abortStrays(uploadId);
  const { bucket, key } = upload.target;
  const detail = failure.cause === undefined
    ? ""
    : `: ${reasonOf(failure.cause)}`;
  const id = uploadId === undefined ? "" : ` (upload ID ${uploadId})`;
  return new S3UploadError(
    `Cannot upload to s3://${bucket}/${key}${id}: ${failure.what}${detail}${outcome}`,
    {
      bucket,
      key,
      uploadId,
      partNumber: failure.partNumber,
      uploadKept: kept,
      outcome: left,
      cause: unwrap(failure.cause),
    },
  );
}

/** What the error says of an upload left in place. */
function keptNote(
  why: "resumable" | "inputs-changed",
  uploadId: string,
): string {
  return why === "resumable"
    ? `; the multipart upload was kept with its completed parts, to be resumed from its last checkpoint or aborted (upload ID ${uploadId})`
    : `; the multipart upload was left as it was: resume it with the original inputs, or abort upload ID ${uploadId}`;
}
