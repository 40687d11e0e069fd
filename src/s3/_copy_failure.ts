/**
 * What a failed server-side build reports: its upload aborted (checked
 * gone) or kept for resuming, and what is left of its seams.
 *
 * @module
 */

import { reasonOf } from "../_errors.ts";
import { abortUpload } from "./abort_upload.ts";
import type { SeamLeftovers } from "./_seam_cleanup.ts";
import { S3UploadError } from "./s3_upload_error.ts";
import type { S3ClientLike } from "./s3_client_like.ts";
import type { RetryOptions } from "./upload_options.ts";

/** Aborts the archive's upload and words what the failed build left. */
export async function failedBuild(
  build: {
    client: S3ClientLike;
    bucket: string;
    key: string;
    uploadId: string;
    retry: RetryOptions;
    leftovers: SeamLeftovers;
    /** Keep the upload for resuming rather than abort it. */
    keep: boolean;
  },
  cause: unknown,
): Promise<S3UploadError> {
  const { bucket, key, uploadId, leftovers } = build;
  const seamsLeft = leftovers.reason === undefined
    ? "its seam objects were removed"
    : `seam objects may be left (${describeLeftovers(leftovers)})`;
  if (build.keep) {
    return new S3UploadError(
      `Cannot build s3://${bucket}/${key}: ${
        reasonOf(cause)
      }; its upload ${uploadId} is kept for resuming from the last checkpoint, ${seamsLeft}`,
      { bucket, key, uploadId, uploadKept: true, outcome: "pending", cause },
    );
  }
  let aborted: string;
  let gone: boolean;
  try {
    const result = await abortUpload({
      client: build.client,
      bucket,
      key,
      uploadId,
      retry: build.retry,
    });
    gone = true;
    aborted = `its upload ${
      result.outcome === "aborted" ? "was aborted" : "was already gone"
    }`;
  } catch (error) {
    gone = false;
    aborted = `its upload ${uploadId} is still pending (${reasonOf(error)})`;
  }
  const clean = gone && leftovers.reason === undefined;
  return new S3UploadError(
    `Cannot build s3://${bucket}/${key}: ${reasonOf(cause)}; ${
      clean ? "nothing was stored" : "the build left something"
    }: ${aborted}, ${seamsLeft}`,
    {
      bucket,
      key,
      // Named only while it may be pending: once shown gone, what is left
      // is seams, which the message names, and a caller must not take the
      // upload for pending.
      uploadId: gone && !clean ? undefined : uploadId,
      outcome: clean ? "nothing-left" : "pending",
      cause,
    },
  );
}

export function describeLeftovers(leftovers: SeamLeftovers): string {
  const listed = [...leftovers.objects, ...leftovers.uploads];
  return listed.length === 0
    ? leftovers.reason!
    : `${listed.length} left, e.g. ${listed[0]}: ${leftovers.reason}`;
}
