/**
 * What an `InvalidPart` answer to CompleteMultipartUpload means: a part the
 * server holds under another ETag than the one UploadPart answered, or not
 * at all. ListParts tells which.
 *
 * @module
 */

import type { Completion } from "./_completion.ts";
import { bareEtag, MD5_HEX } from "./_etag.ts";
import type { MultipartProtocol } from "./_multipart_protocol.ts";
import { reasonOf, unwrap } from "./_retry.ts";
import type { CheckpointPart } from "./upload_checkpoint.ts";

/**
 * The parts as ListParts shows them, after an `InvalidPart` answer: each
 * with the listed ETag where it differs from the one UploadPart answered,
 * if the part is there at the size sent and `verifiedInTransit`. Otherwise
 * a failure naming the part: its bytes are gone (buffers are reused once a
 * part is acknowledged), so it cannot be sent again, and the upload is
 * aborted like any other that fails.
 */
export async function partsAsListed(
  protocol: MultipartProtocol,
  uploadId: string,
  recorded: CheckpointPart[],
  error: unknown,
  verifiedInTransit: boolean,
  signal: AbortSignal,
): Promise<CheckpointPart[] | Completion> {
  const failed = (what: string, partNumber?: number): Completion => ({
    stored: false,
    cause: new Error(`${reasonOf(error)}: ${what}`, { cause: unwrap(error) }),
    ...(partNumber === undefined ? {} : { partNumber }),
    upload: "exists",
  });
  let listed;
  try {
    listed = await protocol.listParts(uploadId, signal);
  } catch (listing) {
    return failed(
      `ListParts, asked which part, failed too: ${reasonOf(listing)}`,
    );
  }
  const parts: CheckpointPart[] = [];
  for (const part of recorded) {
    const number = part.partNumber;
    const found = listed.get(number);
    const sent = bareEtag(part.etag);
    if (found !== undefined && bareEtag(found.etag) === sent) {
      parts.push(part);
      continue;
    }
    const shown = found === undefined
      ? "ListParts does not show it"
      : `ListParts shows ETag "${
        bareEtag(found.etag)
      }" (${found.size} bytes) where UploadPart answered "${sent}" (${part.size} bytes)`;
    const sameSize = found !== undefined &&
      (found.size === -1 || found.size === part.size);
    if (found === undefined || !sameSize || !verifiedInTransit) {
      const why = found === undefined || !sameSize
        ? ""
        : "; it was sent unsigned without Content-MD5, so nothing shows the bytes stored are the ones sent";
      return failed(
        `part ${number} is not on the server as it was sent (${shown})${why}, and its bytes are no longer held to send it again`,
        number,
      );
    }
    const listedEtag = bareEtag(found.etag);
    parts.push({
      ...part,
      etag: found.etag,
      md5: MD5_HEX.test(listedEtag) ? listedEtag : "",
    });
  }
  return parts;
}
