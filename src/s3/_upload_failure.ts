/**
 * A failed upload's first failure, and what becomes of its multipart upload:
 * aborted (and checked gone), or kept for a resume, and the error that says
 * which.
 *
 * @module
 */

import type { MultipartProtocol, UploadTarget } from "./_multipart_protocol.ts";
import { reasonOf, unwrap } from "./_retry.ts";
import { type FailedUploadOutcome, S3UploadError } from "./s3_upload_error.ts";
import type { Completion, StoredObject } from "./_completion.ts";

/** What becomes of the multipart upload when the session fails. */
export type Disposition =
  /** Aborted; or kept if the caller holds a checkpoint and said `abortOnFailure: false`. */
  | { kind: "as-configured" }
  /** It no longer exists: there is nothing to abort or keep. */
  | { kind: "gone" }
  /**
   * A completion (or PutObject) failed and the server could not be asked
   * what it did: treated as configured, but only an abort that removes the
   * upload shows that nothing was stored.
   */
  | { kind: "unknown" }
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
  /**
   * Set once CompleteMultipartUpload was sent: finds out again whether the
   * object was stored, for an upload the abort finds already gone (a late
   * completion may have won).
   */
  readonly recheck?: () => Promise<Completion>;
}

/** How a failure ended: with the error to report, or with the object stored after all. */
export type Cleanup =
  | { readonly stored: false; readonly error: S3UploadError }
  | { readonly stored: true; readonly object: StoredObject };

/**
 * Aborts the upload unless it is to be kept, tidies the uploads lost
 * CreateMultipartUpload answers may have begun, and builds the error.
 */
export async function cleanUp(
  failure: Failure,
  upload: FailedUpload,
  protocol: MultipartProtocol,
): Promise<Cleanup> {
  const { disposition } = failure;
  const { uploadId } = upload;
  const keep = disposition.kind === "keep" ||
    (disposition.kind !== "gone" && upload.keepAsConfigured);
  // Nothing but an abort we carried out can settle what an unknown completion did.
  let settled = disposition.kind !== "unknown";
  let outcome = "";
  let kept = false;
  let left: FailedUploadOutcome = "nothing-left";
  if (disposition.kind === "gone") {
    // Nothing to abort or keep; the failure says why it is gone.
  } else if (uploadId !== undefined && keep) {
    outcome = keptNote(
      disposition.kind === "keep" ? disposition.kept : "resumable",
      uploadId,
    );
    kept = true;
    left = "pending";
  } else if (uploadId !== undefined && !upload.completed) {
    try {
      const how = await protocol.abort(uploadId);
      if (how === "aborted") {
        outcome = "; the multipart upload was aborted";
        settled = true;
      } else if (upload.recheck === undefined) {
        outcome = "; the multipart upload no longer exists";
      } else {
        const found = await upload.recheck();
        if (found.stored) return found;
        settled = found.upload !== "unknown";
        outcome = settled
          ? "; the multipart upload no longer exists"
          : "; the multipart upload no longer exists, but whether its completion stored the object could not be checked";
      }
    } catch (error) {
      outcome = `; aborting it failed too, so its parts may remain (${
        reasonOf(error)
      })`;
      left = "pending";
    }
  }
  if (!settled) left = "pending";
  const strays = await protocol.abortStrays(uploadId);
  if (strays !== "") left = "pending";
  outcome += strays;
  const { bucket, key } = upload.target;
  const detail = failure.cause === undefined
    ? ""
    : `: ${reasonOf(failure.cause)}`;
  const id = uploadId === undefined ? "" : ` (upload ID ${uploadId})`;
  return {
    stored: false,
    error: new S3UploadError(
      `Cannot upload to s3://${bucket}/${key}${id}: ${failure.what}${detail}${outcome}`,
      {
        bucket,
        key,
        uploadId,
        partNumber: failure.partNumber,
        uploadKept: kept,
        outcome: left,
        objectUnknown: !settled,
        cause: unwrap(failure.cause),
      },
    ),
  };
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
