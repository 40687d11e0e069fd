/**
 * The parts of a server-side archive build, each made on the server: bytes
 * sent from the plan, a range of an object copied (UploadPartCopy pinned to
 * the object's ETag), or a seam, a temporary object of an object's end and
 * the glue after it, copied whole and removed afterwards.
 *
 * @module
 */

import type { Assembly } from "./_assembly.ts";
import type { CopyPart, ObjectRange } from "./_copy_layout.ts";
import { reasonOf } from "../_errors.ts";
import { httpStatus } from "./_s3_error_fields.ts";
import type { S3Requests } from "./_s3_requests.ts";
import { unwrap } from "./_retry.ts";
import type { S3RangedSource } from "./s3_ranged_source.ts";

/** The upload the parts go into, and where seams are kept meanwhile. */
export interface CopyTarget {
  readonly requests: S3Requests;
  readonly plan: Assembly;
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  /** Seam `n` is the object `${seamPrefix}${n}` until it is removed. */
  readonly seamPrefix: string;
}

/** What became of one part. */
export interface MadePart {
  readonly etag: string;
  /** The seam object made for it, to be removed, if any. */
  readonly seamKey: string | undefined;
}

/**
 * Makes part `partNumber` of the archive's upload.
 *
 * @throws {Error} naming the part, what it holds and what failed.
 */
export async function makePart(
  target: CopyTarget,
  part: CopyPart<S3RangedSource>,
  partNumber: number,
  signal: AbortSignal,
): Promise<MadePart> {
  try {
    return await makeAnyPart(target, part, partNumber, signal);
  } catch (error) {
    throw new Error(
      `part ${partNumber}, ${describePart(part)}: ${reasonOf(error)}`,
      { cause: error },
    );
  }
}

function describePart(part: CopyPart<S3RangedSource>): string {
  if (part.kind === "send") {
    return `archive bytes ${part.range.start}-${part.range.end - 1} sent`;
  }
  const { source, start, end } = part.copy;
  const copied = `s3://${source.bucket}/${source.key} bytes ${start}-${
    end - 1
  }`;
  return part.kind === "copy"
    ? `a copy of ${copied}`
    : `a seam of ${copied} and archive bytes ${part.glue.start}-${
      part.glue.end - 1
    }`;
}

async function makeAnyPart(
  target: CopyTarget,
  part: CopyPart<S3RangedSource>,
  partNumber: number,
  signal: AbortSignal,
): Promise<MadePart> {
  if (part.kind === "send") {
    const body = await bytesOf(target.plan, part.range.start, part.range.end);
    const sent = await target.requests.uploadPart(
      {
        Bucket: target.bucket,
        Key: target.key,
        UploadId: target.uploadId,
        PartNumber: partNumber,
        Body: body,
      },
      signal,
      () => {},
    );
    return { etag: requireEtag(sent.ETag, partNumber), seamKey: undefined };
  }
  if (part.kind === "copy") {
    return {
      etag: await copyRange(target, target.key, target.uploadId, {
        partNumber,
        copy: part.copy,
      }, signal),
      seamKey: undefined,
    };
  }
  const seamKey = `${target.seamPrefix}${partNumber}`;
  await makeSeam(target, seamKey, part, signal);
  // Not pinned with If-Match: the seam is this build's own object, under a
  // prefix no one else writes, and Swift's s3api refuses If-Match on any
  // object built by a multipart upload, as a seam is.
  const copied = await target.requests.uploadPartCopy({
    Bucket: target.bucket,
    Key: target.key,
    UploadId: target.uploadId,
    PartNumber: partNumber,
    CopySource: copySource(target.bucket, seamKey, undefined),
  }, signal);
  return {
    etag: requireEtag(copied.CopyPartResult?.ETag, partNumber),
    seamKey,
  };
}

/**
 * Builds a seam: an upload of its own whose first part copies the object's
 * end (at least 5 MiB, as a part that is not the last must be) and whose
 * last part, which may be small, is the glue sent from the plan.
 */
async function makeSeam(
  target: CopyTarget,
  seamKey: string,
  part: Extract<CopyPart<S3RangedSource>, { kind: "seam" }>,
  signal: AbortSignal,
): Promise<void> {
  const { requests, bucket } = target;
  // An upload whose creation answer was lost is found by its key's prefix
  // when the build ends (see `removeSeams`): nothing to note here.
  const created = await requests.createMultipartUpload(
    { Bucket: bucket, Key: seamKey },
    signal,
    () => {},
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) {
    throw new Error(
      `Cannot build the seam object s3://${bucket}/${seamKey}: CreateMultipartUpload answered no UploadId`,
    );
  }
  try {
    const copied = await copyRange(target, seamKey, uploadId, {
      partNumber: 1,
      copy: part.copy,
    }, signal);
    const glue = await bytesOf(target.plan, part.glue.start, part.glue.end);
    const sent = await requests.uploadPart(
      {
        Bucket: bucket,
        Key: seamKey,
        UploadId: uploadId,
        PartNumber: 2,
        Body: glue,
      },
      signal,
      () => {},
    );
    const completed = await requests.completeMultipartUpload(
      {
        Bucket: bucket,
        Key: seamKey,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: copied },
            { PartNumber: 2, ETag: requireEtag(sent.ETag, 2) },
          ],
        },
      },
      signal,
      (error) => Promise.reject(error),
    );
    if (completed.ETag === undefined) {
      throw new Error(
        `Cannot build the seam object s3://${bucket}/${seamKey}: CompleteMultipartUpload answered no ETag`,
      );
    }
  } catch (error) {
    // The seam's own upload is abandoned; the object, if completed, is
    // removed with the others.
    await requests.abortMultipartUpload(
      { Bucket: bucket, Key: seamKey, UploadId: uploadId },
      new AbortController().signal,
    ).catch(() => {});
    throw error;
  }
}

/** Copies a range of a source object into part `partNumber` of an upload. */
async function copyRange(
  target: CopyTarget,
  key: string,
  uploadId: string,
  { partNumber, copy }: {
    partNumber: number;
    copy: ObjectRange<S3RangedSource>;
  },
  signal: AbortSignal,
): Promise<string> {
  const { source } = copy;
  const input = {
    Bucket: target.bucket,
    Key: key,
    UploadId: uploadId,
    PartNumber: partNumber,
    CopySource: copySource(source.bucket, source.key, source.versionId),
    CopySourceRange: `bytes=${copy.start}-${copy.end - 1}`,
  };
  let copied;
  try {
    // A changed object fails the copy (412) instead of joining the archive.
    copied = await target.requests.uploadPartCopy(
      { ...input, CopySourceIfMatch: source.etag },
      signal,
    );
  } catch (error) {
    if (httpStatus(unwrap(error)) !== 412) throw error;
    // Swift's s3api answers 412 to If-Match on any object a multipart
    // upload made, changed or not. Such an object is copied unpinned, between
    // two HeadObjects that show its ETag unchanged.
    await checkUnchanged(target, source, signal);
    copied = await target.requests.uploadPartCopy(input, signal);
    await checkUnchanged(target, source, signal);
  }
  return requireEtag(copied.CopyPartResult?.ETag, partNumber);
}

/** Fails, naming the object, unless its ETag is still the planned one. */
async function checkUnchanged(
  target: CopyTarget,
  source: S3RangedSource,
  signal: AbortSignal,
): Promise<void> {
  const head = await target.requests.headObject({
    Bucket: source.bucket,
    Key: source.key,
    ...(source.versionId === undefined ? {} : { VersionId: source.versionId }),
  }, signal);
  if (head.ETag !== source.etag) {
    throw new Error(
      `Cannot copy s3://${source.bucket}/${source.key}: it changed since the plan was made (expected ETag ${source.etag} but it has ${head.ETag})`,
    );
  }
}

/** `bucket/key` as `x-amz-copy-source` wants it: the key URL-encoded, its slashes kept. */
function copySource(
  bucket: string,
  key: string,
  versionId: string | undefined,
): string {
  const path = `${bucket}/${encodeURIComponent(key).replaceAll("%2F", "/")}`;
  return versionId === undefined
    ? path
    : `${path}?versionId=${encodeURIComponent(versionId)}`;
}

async function bytesOf(
  plan: Assembly,
  start: number,
  end: number,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(end - start);
  let filled = 0;
  for await (const chunk of plan.slice(start, end)) {
    bytes.set(chunk, filled);
    filled += chunk.length;
  }
  return bytes;
}

export function requireEtag(
  etag: string | undefined,
  partNumber: number,
): string {
  if (etag === undefined || etag === "") {
    throw new Error(
      `expected an ETag for part ${partNumber} but the server answered none`,
    );
  }
  return etag;
}
