/**
 * Removing a server-side build's seam objects, and any seam upload left
 * pending, then checking with listings that nothing is left under the
 * seams' prefix.
 *
 * @module
 */

import { reasonOf } from "../_errors.ts";
import type { S3Requests } from "./_s3_requests.ts";

/** What is still under the seams' prefix after removing them. */
export interface SeamLeftovers {
  /** Seam objects that could not be removed. */
  readonly objects: readonly string[];
  /** Seam uploads still pending. */
  readonly uploads: readonly string[];
  /** Why, when something is left or the check itself failed. */
  readonly reason: string | undefined;
}

/**
 * Deletes every object and aborts every multipart upload whose key starts
 * with `prefix` (a build's own, unique prefix), then lists both again: an
 * empty listing is what "removed" means here. Never throws: what is left
 * is returned, with the reason.
 */
export async function removeSeams(
  requests: S3Requests,
  bucket: string,
  prefix: string,
): Promise<SeamLeftovers> {
  // Cleanup runs to its end even when the build was cancelled.
  const signal = new AbortController().signal;
  let reason: string | undefined;
  try {
    for (const key of await objectsUnder(requests, bucket, prefix, signal)) {
      await requests.deleteObject({ Bucket: bucket, Key: key }, signal).catch(
        (error) => reason ??= reasonOf(error),
      );
    }
    for (const upload of await uploadsUnder(requests, bucket, prefix, signal)) {
      await requests.abortMultipartUpload({
        Bucket: bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
      }, signal).catch((error) => reason ??= reasonOf(error));
    }
    const objects = await objectsUnder(requests, bucket, prefix, signal);
    const uploads = (await uploadsUnder(requests, bucket, prefix, signal)).map(
      (upload) => upload.key,
    );
    return {
      objects,
      uploads,
      reason: objects.length + uploads.length > 0
        ? reason ?? "they were still listed after being removed"
        : undefined,
    };
  } catch (error) {
    return {
      objects: [],
      uploads: [],
      reason:
        `listing s3://${bucket}/${prefix} failed, so nothing is known of what is left: ${
          reasonOf(error)
        }`,
    };
  }
}

async function objectsUnder(
  requests: S3Requests,
  bucket: string,
  prefix: string,
  signal: AbortSignal,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await requests.listObjectsV2({
      Bucket: bucket,
      Prefix: prefix,
      ...(token === undefined ? {} : { ContinuationToken: token }),
    }, signal);
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined) keys.push(object.Key);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

async function uploadsUnder(
  requests: S3Requests,
  bucket: string,
  prefix: string,
  signal: AbortSignal,
): Promise<{ key: string; uploadId: string }[]> {
  const uploads: { key: string; uploadId: string }[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await requests.listMultipartUploads({
      Bucket: bucket,
      Prefix: prefix,
      ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
      ...(uploadIdMarker === undefined
        ? {}
        : { UploadIdMarker: uploadIdMarker }),
    }, signal);
    for (const upload of page.Uploads ?? []) {
      if (upload.Key !== undefined && upload.UploadId !== undefined) {
        uploads.push({ key: upload.Key, uploadId: upload.UploadId });
      }
    }
    if (!page.IsTruncated) return uploads;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}
