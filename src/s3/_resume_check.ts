/**
 * What a resumed upload may skip: the parts the server already holds, as
 * the checkpoint recorded them or as ListParts shows them, checked against
 * the new body's bytes as they come.
 *
 * @module
 */

import type { CheckpointLog } from "./_checkpoint_log.ts";
import { bareEtag, fromHex, MD5_HEX, multipartEtag, toHex } from "./_etag.ts";
import type { ListedPart, MultipartProtocol } from "./_multipart_protocol.ts";
import type { UploadCheckpoint } from "./upload_checkpoint.ts";
import type { UploadResult } from "./upload_result.ts";

/**
 * A part a resumed upload need not send again if the new bytes hash the same:
 * recorded by the checkpoint (a difference is then an error), or only listed
 * by the server (a difference just means sending it again).
 */
export interface KnownPart {
  from: "checkpoint" | "server";
  etag: string;
  md5: string;
  size: number;
}

/** What the body's part is, next to what the server holds under its number. */
export type PartMatch =
  | { kind: "unknown" }
  | { kind: "held"; known: KnownPart }
  | { kind: "differs"; known: KnownPart };

/** The parts of a resumed upload the server holds, ahead of the body. */
export class ResumeCheck {
  #known = new Map<number, KnownPart>();

  /**
   * Compares the checkpoint with the parts listed: every part it records
   * must be there, as recorded. Returns the first part that is not, and
   * what is wrong with it, or `undefined`. Parts at or after `bodyOffset` become known parts, checked
   * against the new bytes as they come; so do listed parts the checkpoint
   * missed, when their ETag is an MD5 that can vouch for their bytes.
   */
  mismatch(
    checkpoint: UploadCheckpoint,
    listed: ReadonlyMap<number, ListedPart>,
    bodyOffset: number,
    firstPartNumber: number,
    log: CheckpointLog,
  ): { partNumber: number; message: string } | undefined {
    for (const part of checkpoint.parts) {
      const found = listed.get(part.partNumber);
      if (
        found === undefined || bareEtag(found.etag) !== bareEtag(part.etag) ||
        (found.size !== -1 && found.size !== part.size)
      ) {
        return {
          partNumber: part.partNumber,
          message:
            `the checkpoint records part ${part.partNumber} (${part.size} bytes, ETag ${part.etag}) but ListParts ${
              found === undefined
                ? "does not show it"
                : `shows ${found.size} bytes, ETag ${found.etag}`
            }; the checkpoint does not describe this upload`,
        };
      }
      if (part.offset >= bodyOffset) {
        // Kept in later checkpoints even if this run stops before the body
        // reaches it: the server holds it, as recorded.
        log.adopt(part);
        this.#known.set(part.partNumber, {
          from: "checkpoint",
          etag: part.etag,
          md5: part.md5,
          size: part.size,
        });
      }
    }
    for (const [partNumber, part] of listed) {
      if (partNumber < firstPartNumber || this.#known.has(partNumber)) {
        continue;
      }
      // Only an ETag that is an MD5 can vouch for bytes; others are resent.
      if (MD5_HEX.test(bareEtag(part.etag))) {
        this.#known.set(partNumber, {
          from: "server",
          etag: part.etag,
          md5: bareEtag(part.etag),
          size: part.size,
        });
      }
    }
    return undefined;
  }

  /** Whether the server may hold this part: its bytes must be hashed to tell. */
  mayHold(partNumber: number): boolean {
    return this.#known.has(partNumber);
  }

  /** Compares a part of the body, whose MD5 is `digest`, with what the server holds. */
  match(partNumber: number, size: number, digest: Uint8Array): PartMatch {
    const known = this.#known.get(partNumber);
    if (known === undefined) return { kind: "unknown" };
    this.#known.delete(partNumber);
    return known.size === size && known.md5 === toHex(digest)
      ? { kind: "held", known }
      : { kind: "differs", known };
  }

  /** The first part the checkpoint records that the body has not reached. */
  unreached(): number | undefined {
    for (const [partNumber, part] of this.#known) {
      if (part.from === "checkpoint") return partNumber;
    }
    return undefined;
  }
}

/**
 * The object at the key, if it is the one the checkpoint's parts make: the
 * earlier run completed the upload and stopped before its caller could
 * discard the checkpoint. The multipart ETag names the parts' MD5s in order,
 * so a match means the object holds exactly the checkpoint's bytes.
 */
export async function completedEarlier(
  checkpoint: UploadCheckpoint,
  protocol: MultipartProtocol,
  signal: AbortSignal,
): Promise<UploadResult | undefined> {
  const { parts } = checkpoint;
  const last = parts.at(-1);
  if (
    last === undefined ||
    !parts.every((part, index) => part.partNumber === index + 1)
  ) return undefined;
  const size = last.offset + last.size;
  if (
    checkpoint.contentLength !== undefined &&
    checkpoint.contentLength !== size
  ) return undefined;
  let head;
  try {
    head = await protocol.head(signal);
  } catch {
    return undefined;
  }
  const etag = multipartEtag(parts.map((part) => fromHex(part.md5)));
  if (
    head.ETag === undefined || bareEtag(head.ETag) !== etag ||
    head.ContentLength !== size
  ) return undefined;
  return {
    outcome: "stored",
    bucket: checkpoint.bucket,
    key: checkpoint.key,
    etag: head.ETag,
    size,
    parts: parts.length,
    crc32: last.prefixCrc32,
    uploadId: checkpoint.uploadId,
    completedEarlier: true,
  };
}
