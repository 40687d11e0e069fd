/**
 * Completing an upload, and finding out what a completion that failed did.
 * A CompleteMultipartUpload (or a one-part PutObject) whose answer is lost,
 * garbled or late may still have stored the object: before any failure is
 * reported, HeadObject and ListParts are asked whether the object at the key
 * is the one the parts make, under the cleanup budget.
 *
 * @module
 */

import type { HeadObjectCommandOutput } from "@aws-sdk/client-s3";
import type { CheckpointPart } from "./upload_checkpoint.ts";
import type { ObjectFields } from "./_resolved_upload_options.ts";
import { isGone, type MultipartProtocol } from "./_multipart_protocol.ts";
import { partsAsListed } from "./_invalid_part.ts";
import { reasonOf, unwrap } from "./_retry.ts";
import { errorName, isMissingObject } from "./_s3_error_fields.ts";
import {
  bareEtag,
  etagIsMd5,
  fromHex,
  md5,
  MD5_HEX,
  MULTIPART_ETAG,
  multipartEtag,
  toHex,
} from "./_etag.ts";

/** The object the session sent. */
export interface ExpectedObject {
  /** Its size in bytes. */
  readonly size: number;
  /**
   * The bare ETag its bytes make on a server whose ETags are MD5-based: the
   * multipart ETag of the parts' MD5s, or the MD5 of a one-part body.
   * `undefined` when a part's MD5 is not known.
   */
  readonly etag: string | undefined;
}

/** An object found stored at the key. */
export interface StoredObject {
  /** Its ETag as the server gave it. */
  readonly etag: string;
  /** Its URL, when CompleteMultipartUpload said. */
  readonly location?: string;
  /** What could not be checked, when something could not. */
  readonly unverified?: string;
}

/** What a completion left: the object stored, or not, and then what of the upload. */
export type Completion =
  | { readonly stored: true; readonly object: StoredObject }
  | {
    readonly stored: false;
    readonly cause: unknown;
    /** The part that is not on the server as it was sent, when one is. */
    readonly partNumber?: number;
    /**
     * The multipart upload: `"exists"` (abort it), `"gone"` (as ListParts
     * confirms), or `"unknown"` when the server could not be asked, in which
     * case whether the object was stored is unknown too.
     */
    readonly upload: "exists" | "gone" | "unknown";
  };

/**
 * Puts a body of one part and checks the object. Never throws: a failed
 * PutObject is followed by finding out whether it stored the object after
 * all, by its size and MD5.
 */
export async function putWhole(
  protocol: MultipartProtocol,
  bytes: Uint8Array,
  digest: Uint8Array | undefined,
  fields: ObjectFields,
  signal: AbortSignal,
): Promise<Completion> {
  const expected = { size: bytes.length, etag: undefined };
  let answered;
  try {
    answered = await protocol.putObject(bytes, digest, fields, signal);
  } catch (error) {
    const etag = toHex(digest ?? md5(bytes));
    return await findOut(protocol, undefined, { ...expected, etag }, error);
  }
  return await checkStored(protocol, expected, { etag: answered.ETag ?? "" });
}

/**
 * Completes the upload of the parts recorded, which the server holds for
 * this body, and checks the object. Also returns how to find out again what
 * the completion did, for the cleanup of a failure.
 */
export function completeParts(
  protocol: MultipartProtocol,
  uploadId: string,
  recorded: Iterable<CheckpointPart>,
  size: number,
  verifiedInTransit: boolean,
  signal: AbortSignal,
): { completion: Promise<Completion>; recheck: () => Promise<Completion> } {
  const inOrder = [...recorded].sort((a, b) => a.partNumber - b.partNumber);
  const expected = expectedOf(inOrder, size);
  return {
    completion: complete(
      protocol,
      uploadId,
      inOrder,
      expected,
      verifiedInTransit,
      signal,
    ),
    recheck: () =>
      findOut(
        protocol,
        uploadId,
        expected,
        new Error("CompleteMultipartUpload failed"),
      ),
  };
}

/** The object parts make: their size, and their multipart ETag when every MD5 is known. */
function expectedOf(parts: CheckpointPart[], size: number): ExpectedObject {
  // A part's MD5 is unknown only where ETags are not MD5s (SSE-KMS, SSE-C),
  // and then no ETag can be checked against the parts anyway.
  const known = parts.every((part) => part.md5 !== "");
  return {
    size,
    etag: known
      ? multipartEtag(parts.map((part) => fromHex(part.md5)))
      : undefined,
  };
}

/**
 * Completes the upload and checks the object. Never throws: a failure is
 * followed by finding out what the server holds. An `InvalidPart` answer is
 * followed by ListParts: a part the server holds at the size sent, under
 * another ETag than UploadPart's answer gave, is taken with the listed ETag
 * and the completion sent again, but only when `verifiedInTransit` (the
 * payload was signed, or sent with Content-MD5, or over TLS: the stored
 * bytes are the ones sent, and it was the answer that was damaged).
 */
async function complete(
  protocol: MultipartProtocol,
  uploadId: string,
  recorded: CheckpointPart[],
  expected: ExpectedObject,
  verifiedInTransit: boolean,
  signal: AbortSignal,
): Promise<Completion> {
  const send = (parts: CheckpointPart[], etag: string | undefined) =>
    protocol.complete(
      uploadId,
      parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })),
      etag ?? "",
      signal,
    );
  let answered;
  try {
    answered = await send(recorded, expected.etag);
  } catch (error) {
    if (errorName(unwrap(error)) !== "InvalidPart") {
      return await findOut(protocol, uploadId, expected, error);
    }
    const listed = await partsAsListed(
      protocol,
      uploadId,
      recorded,
      error,
      verifiedInTransit,
      signal,
    );
    if (!Array.isArray(listed)) return listed;
    expected = expectedOf(listed, expected.size);
    try {
      answered = await send(listed, expected.etag);
    } catch (again) {
      return await findOut(protocol, uploadId, expected, again);
    }
  }
  const etag = answered.ETag ?? "";
  if (
    expected.etag !== undefined && etagIsMd5(answered) &&
    MULTIPART_ETAG.test(bareEtag(etag)) && bareEtag(etag) !== expected.etag
  ) {
    return await findOut(
      protocol,
      uploadId,
      expected,
      new Error(
        `CompleteMultipartUpload answered ETag ${etag} but the parts sent make "${expected.etag}"`,
      ),
    );
  }
  return await checkStored(protocol, expected, {
    etag,
    ...(answered.Location === undefined ? {} : { location: answered.Location }),
  });
}

/**
 * Checks with HeadObject an object the server said it stored. A size (or,
 * when the completion answered no ETag, an ETag) other than the one sent
 * means the object at the key is not ours after all.
 */
async function checkStored(
  protocol: MultipartProtocol,
  expected: ExpectedObject,
  answered: { etag: string; location?: string },
): Promise<Completion> {
  let head;
  try {
    head = await protocol.headToVerify();
  } catch (error) {
    return {
      stored: true,
      object: {
        ...answered,
        unverified:
          `the server said it stored the object, but HeadObject failed, so its size${
            answered.etag === "" ? " and ETag were" : " was"
          } not checked (${reasonOf(error)})`,
      },
    };
  }
  if (head.ContentLength !== expected.size) {
    return {
      stored: false,
      cause: new Error(
        `HeadObject reports ${head.ContentLength} bytes but ${expected.size} were sent`,
      ),
      upload: "gone",
    };
  }
  // Some servers (Ceph radosgw) answer the completion with an empty ETag:
  // then HeadObject's ETag is the one to check against the parts.
  if (answered.etag === "") {
    if (!head.ETag) {
      return {
        stored: true,
        object: {
          ...answered,
          unverified:
            "neither CompleteMultipartUpload nor HeadObject gave an ETag, so the object could not be matched with the parts",
        },
      };
    }
    if (etagMismatch(head, expected)) {
      return {
        stored: false,
        cause: new Error(
          `HeadObject reports ETag ${head.ETag} but the parts sent make "${expected.etag}"`,
        ),
        upload: "gone",
      };
    }
    return { stored: true, object: { ...answered, etag: head.ETag ?? "" } };
  }
  return { stored: true, object: answered };
}

/**
 * What a failed completion did: the object at the key is ours if its size
 * and ETag are the ones sent. Where the ETag cannot tell (not MD5-based, or
 * a part's MD5 unknown), an object of our size whose upload is gone is taken
 * as ours, and said to be matched by size only.
 */
async function findOut(
  protocol: MultipartProtocol,
  uploadId: string | undefined,
  expected: ExpectedObject,
  cause: unknown,
): Promise<Completion> {
  let head: HeadObjectCommandOutput | undefined;
  let headError: unknown;
  try {
    head = await protocol.headToVerify();
  } catch (error) {
    if (!isNotFound(error)) headError = error;
  }
  if (head !== undefined && head.ContentLength === expected.size) {
    const comparable = expected.etag !== undefined && etagIsMd5(head) &&
      head.ETag !== undefined &&
      (MULTIPART_ETAG.test(bareEtag(head.ETag)) ||
        MD5_HEX.test(bareEtag(head.ETag)));
    if (comparable && !etagMismatch(head, expected)) {
      return { stored: true, object: { etag: head.ETag! } };
    }
    if (!comparable) {
      const upload = await uploadState(protocol, uploadId);
      if (upload === "gone") {
        return {
          stored: true,
          object: {
            etag: head.ETag ?? "",
            unverified: `the request that stored it failed (${
              reasonOf(cause)
            }); the object at the key has the size sent and its upload is gone, but its ETag ${head.ETag} cannot be compared with the parts, so it was matched by size only`,
          },
        };
      }
      return { stored: false, cause, upload };
    }
  }
  const upload = await uploadState(protocol, uploadId);
  if (headError !== undefined && upload !== "exists") {
    // Nothing answered whether the object is there: it may be.
    return {
      stored: false,
      cause: new Error(
        `${
          reasonOf(cause)
        }; whether the object was stored could not be checked: ${
          reasonOf(headError)
        }`,
        { cause: unwrap(cause) },
      ),
      upload: "unknown",
    };
  }
  return { stored: false, cause, upload };
}

/** Whether HeadObject's ETag is MD5-based and differs from the one the parts make. */
function etagMismatch(
  head: HeadObjectCommandOutput,
  expected: ExpectedObject,
): boolean {
  return expected.etag !== undefined && etagIsMd5(head) &&
    bareEtag(head.ETag ?? "") !== expected.etag;
}

async function uploadState(
  protocol: MultipartProtocol,
  uploadId: string | undefined,
): Promise<"exists" | "gone" | "unknown"> {
  // A one-part PutObject has no upload to be left behind.
  if (uploadId === undefined) return "gone";
  try {
    return await protocol.exists(uploadId) ? "exists" : "gone";
  } catch {
    return "unknown";
  }
}

function isNotFound(error: unknown): boolean {
  return isMissingObject(error) || isGone(unwrap(error));
}
