/**
 * What a resumed upload may skip: the parts the server already holds, as
 * the checkpoint recorded them or as ListParts shows them, checked against
 * the new body's bytes as they come.
 *
 * @module
 */

import type { CheckpointLog } from "./_checkpoint_log.ts";
import {
  bareEtag,
  fromHex,
  md5,
  MD5_HEX,
  multipartEtag,
  toHex,
} from "./_etag.ts";
import {
  isGone,
  type ListedPart,
  type MultipartProtocol,
} from "./_multipart_protocol.ts";
import type { CutPart } from "./_part_cutter.ts";
import type { Failure } from "./_upload_failure.ts";
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

/** What listing a resumed upload's parts found. */
export type ResumeVerdict =
  | { kind: "go" }
  /** The earlier run completed the upload: this is its object. */
  | { kind: "completed"; result: UploadResult }
  | { kind: "fail"; failure: Failure };

/** What to do with a part of a resumed upload's body. */
export type PartVerdict =
  /** Send it; `digest` is its MD5 when it was computed. */
  | { kind: "send"; digest: Uint8Array | undefined }
  /** The server holds these very bytes: count it done without sending it. */
  | { kind: "held"; digest: Uint8Array; known: KnownPart }
  | { kind: "fail"; failure: Failure };

/**
 * A resumed upload: takes over the checkpoint's upload and the parts before
 * `bodyOffset` (the body given starts after them), checks the checkpoint
 * against ListParts before the first write, and judges each part of the
 * body against what the server holds.
 */
export class ResumedUpload {
  /** The checkpoint's upload ID. */
  readonly uploadId: string;
  /** Where the body starts. */
  readonly start: { partNumber: number; offset: number };
  /** The CRC-32 of the bytes before the body. */
  readonly crc32: number = 0;
  /** The parts before the body, done by the earlier run. */
  readonly partsDone: number = 0;
  #checkpoint: UploadCheckpoint;
  #log: CheckpointLog;
  #check = new ResumeCheck();

  constructor(
    checkpoint: UploadCheckpoint,
    bodyOffset: number,
    log: CheckpointLog,
  ) {
    this.#checkpoint = checkpoint;
    this.#log = log;
    this.uploadId = checkpoint.uploadId;
    let partNumber = 1;
    for (const part of checkpoint.parts) {
      if (part.offset >= bodyOffset) break;
      log.adopt(part);
      this.partsDone++;
      partNumber = part.partNumber + 1;
      this.crc32 = part.prefixCrc32;
    }
    this.start = { partNumber, offset: bodyOffset };
  }

  /**
   * Lists the upload's parts and checks that the server holds each part of
   * the checkpoint, as recorded. Nothing found wrong here aborts the upload:
   * it is the earlier run's.
   */
  async verify(
    protocol: MultipartProtocol,
    signal: AbortSignal,
  ): Promise<ResumeVerdict> {
    const checkpoint = this.#checkpoint;
    let listed;
    try {
      listed = await protocol.listParts(checkpoint.uploadId, signal);
    } catch (error) {
      if (!isGone(error)) {
        return fail("cannot resume: the upload's parts could not be listed", {
          cause: error,
          disposition: { kind: "keep", kept: "resumable" },
        });
      }
      const result = await completedEarlier(checkpoint, protocol, signal);
      if (result !== undefined) return { kind: "completed", result };
      return fail(
        `cannot resume: upload ID ${checkpoint.uploadId} no longer exists (it was aborted or completed, or a lifecycle rule expired it); start a new upload without the checkpoint`,
        { cause: error, disposition: { kind: "gone" } },
      );
    }
    const mismatch = this.#check.mismatch(
      checkpoint,
      listed,
      this.start.offset,
      this.start.partNumber,
      this.#log,
    );
    if (mismatch === undefined) return { kind: "go" };
    return fail(`cannot resume: ${mismatch.message}`, {
      partNumber: mismatch.partNumber,
      disposition: { kind: "keep", kept: "resumable" },
    });
  }

  /**
   * Judges a part of the body. A part the server may hold is recognised by
   * its MD5; computed once, it also serves as Content-MD5 (`wantDigest`) if
   * the part must be sent after all.
   */
  judge(part: CutPart, wantDigest: boolean): PartVerdict {
    const { partNumber, offset, bytes } = part;
    if (!this.#check.mayHold(partNumber)) {
      return { kind: "send", digest: wantDigest ? md5(bytes) : undefined };
    }
    const digest = md5(bytes);
    const match = this.#check.match(partNumber, bytes.length, digest);
    if (match.kind === "held") {
      return { kind: "held", digest, known: match.known };
    }
    if (match.kind === "differs" && match.known.from === "checkpoint") {
      return fail(
        `cannot resume: part ${partNumber} (body bytes ${offset} to ${
          offset + bytes.length - 1
        }) differs from the checkpoint: ${bytes.length} bytes of MD5 ${
          toHex(digest)
        } now, ${match.known.size} bytes of MD5 ${match.known.md5} then, so the inputs have changed since the earlier run`,
        {
          partNumber,
          disposition: { kind: "keep", kept: "inputs-changed" },
        },
      );
    }
    return { kind: "send", digest };
  }

  /** The failure of a body that ended, after `bytesRead` bytes, before parts the checkpoint records. */
  unreached(bytesRead: number): Failure | undefined {
    const partNumber = this.#check.unreached();
    if (partNumber === undefined) return undefined;
    return fail(
      `cannot resume: the body ended after ${bytesRead} bytes, before part ${partNumber} that the checkpoint records, so the inputs have changed since the earlier run`,
      { partNumber, disposition: { kind: "keep", kept: "inputs-changed" } },
    ).failure;
  }
}

function fail(
  what: string,
  { cause, partNumber, disposition }:
    & Partial<Failure>
    & Pick<Failure, "disposition">,
): { kind: "fail"; failure: Failure } {
  return { kind: "fail", failure: { what, cause, partNumber, disposition } };
}

/** The parts of a resumed upload the server holds, ahead of the body. */
class ResumeCheck {
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
