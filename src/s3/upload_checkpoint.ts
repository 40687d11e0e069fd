/**
 * What an interrupted multipart upload needs to resume: its ID, how its body
 * is cut into parts, and the parts the server already holds.
 *
 * @module
 */

import { MD5_HEX } from "./_etag.ts";
import {
  MAX_PART_SIZE,
  MAX_PARTS,
  MAX_UPLOAD_SIZE,
  MIN_PART_SIZE,
  planPartSizes,
} from "./_part_size_plan.ts";
import { show } from "./_option_checks.ts";

/**
 * The checkpoint format this version writes and reads; a stored checkpoint of
 * another version is refused by {@linkcode parseUploadCheckpoint}.
 *
 * @example Check a stored checkpoint's version before resuming
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHECKPOINT_VERSION } from "@zipstream/zipstream/s3";
 *
 * const stored = JSON.parse('{"version": 1}');
 * assert.equal(stored.version, CHECKPOINT_VERSION);
 * ```
 */
export const CHECKPOINT_VERSION = 1;

/**
 * One part the server acknowledged, as a checkpoint records it.
 *
 * @example How much of the archive a checkpoint holds
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CheckpointPart } from "@zipstream/zipstream/s3";
 *
 * const stored = (parts: readonly CheckpointPart[]): number =>
 *   parts.reduce((sum, part) => sum + part.size, 0);
 * assert.equal(stored([]), 0);
 * ```
 */
export interface CheckpointPart {
  /** The part number, from 1. */
  partNumber: number;
  /** The body byte the part starts at. */
  offset: number;
  /** The part's length in bytes. */
  size: number;
  /** The ETag the server answered for the part, as given (quoted). */
  etag: string;
  /** The MD5 of the part's bytes as the uploader computed it, in lowercase hex. */
  md5: string;
  /**
   * The CRC-32 of the body from its first byte through this part's last, so
   * that a run resuming after this part still reports the whole object's CRC.
   */
  prefixCrc32: number;
}

/**
 * A multipart upload in progress, as `onCheckpoint` reports it after each
 * completed part. It is plain JSON: store it with `JSON.stringify`, read it
 * back with {@linkcode parseUploadCheckpoint}, and pass it as the `resume`
 * option to continue the upload instead of starting over.
 *
 * @example An upload that fails at part 2, resumed from its checkpoint (a client double stands in for S3)
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHash } from "node:crypto";
 * import {
 *   CreateMultipartUploadCommand,
 *   HeadObjectCommand,
 *   ListPartsCommand,
 *   UploadPartCommand,
 * } from "@aws-sdk/client-s3";
 * import {
 *   checkpointOffset,
 *   parseUploadCheckpoint,
 *   uploadToS3,
 * } from "@zipstream/zipstream/s3";
 *
 * const body = new Uint8Array(12 * 1024 * 1024).map((_, i) => i % 251);
 * const md5 = (bytes: Uint8Array) =>
 *   createHash("md5").update(bytes).digest("hex");
 * const stored = new Map<number, Uint8Array>();
 * const sent: number[] = [];
 * let refusePart2 = true;
 * const client = {
 *   send(command: object) {
 *     if (command instanceof CreateMultipartUploadCommand) {
 *       return Promise.resolve({ UploadId: "upload-1" });
 *     }
 *     if (command instanceof UploadPartCommand) {
 *       const number = command.input.PartNumber!;
 *       sent.push(number);
 *       if (number === 2 && refusePart2) {
 *         const denied = new Error("Access denied");
 *         denied.name = "AccessDenied";
 *         return Promise.reject(denied);
 *       }
 *       const bytes = (command.input.Body as Uint8Array).slice();
 *       stored.set(number, bytes);
 *       return Promise.resolve({ ETag: `"${md5(bytes)}"` });
 *     }
 *     if (command instanceof ListPartsCommand) {
 *       const Parts = [...stored].map(([PartNumber, bytes]) => ({
 *         PartNumber,
 *         ETag: `"${md5(bytes)}"`,
 *         Size: bytes.length,
 *       }));
 *       return Promise.resolve({ Parts });
 *     }
 *     if (command instanceof HeadObjectCommand) {
 *       // The multipart ETag: the MD5 of the parts' MD5s, and their count.
 *       const digests = [...stored.values()].flatMap((bytes) => [
 *         ...createHash("md5").update(bytes).digest(),
 *       ]);
 *       const ETag = `"${md5(new Uint8Array(digests))}-${stored.size}"`;
 *       return Promise.resolve({ ContentLength: body.length, ETag });
 *     }
 *     return Promise.resolve({});
 *   },
 * };
 * const options = {
 *   client,
 *   bucket: "exports",
 *   key: "big.zip",
 *   partSize: 5 * 1024 * 1024,
 *   concurrency: 1,
 * };
 *
 * let saved = "";
 * await assert.rejects(
 *   uploadToS3(ReadableStream.from([body]), {
 *     ...options,
 *     abortOnFailure: false,
 *     onCheckpoint: (checkpoint) => {
 *       saved = JSON.stringify(checkpoint);
 *     },
 *   }),
 *   { name: "S3UploadError", uploadKept: true, partNumber: 2 },
 * );
 *
 * refusePart2 = false;
 * sent.length = 0;
 * const checkpoint = parseUploadCheckpoint(JSON.parse(saved));
 * const offset = checkpointOffset(checkpoint); // part 1 is done
 * const result = await uploadToS3(
 *   ReadableStream.from([body.subarray(offset)]),
 *   { ...options, resume: checkpoint, bodyOffset: offset },
 * );
 * assert.deepEqual(sent, [2, 3]); // part 1 was not sent again
 * assert.equal(result.size, body.length);
 * assert.equal(result.parts, 3);
 * assert.equal(result.outcome, "stored");
 * ```
 */
export interface UploadCheckpoint {
  /** The format version, {@linkcode CHECKPOINT_VERSION}. */
  version: number;
  /** The target bucket. */
  bucket: string;
  /** The target key. */
  key: string;
  /** The multipart upload's ID. */
  uploadId: string;
  /**
   * The `partSize` option the part sizes were planned from; with
   * `contentLength`, it fixes the size of every part, so a resumed run cuts
   * the body at the same bytes.
   */
  partSize: number;
  /** The declared `contentLength`; absent when the length was unknown. */
  contentLength?: number;
  /** The parts the server acknowledged, by ascending part number. */
  parts: CheckpointPart[];
}

/**
 * Checks that `value` (typically `JSON.parse` of a stored checkpoint) is a
 * well-formed {@linkcode UploadCheckpoint}: known version, parts in order at
 * the offsets and sizes that the part-size plan gives them.
 *
 * @param value The parsed checkpoint.
 * @returns The same value, typed.
 * @throws {TypeError} A field is missing or of the wrong type, named by its path.
 * @throws {RangeError} A field is out of range or parts do not follow the plan.
 *
 * @example Reading a stored checkpoint back
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUploadCheckpoint } from "@zipstream/zipstream/s3";
 *
 * const text = JSON.stringify({
 *   version: 1,
 *   bucket: "exports",
 *   key: "big.zip",
 *   uploadId: "2~abc",
 *   partSize: 5242880,
 *   parts: [{
 *     partNumber: 1,
 *     offset: 0,
 *     size: 5242880,
 *     etag: '"79b281060d337b9b2b84ccf390adcf74"',
 *     md5: "79b281060d337b9b2b84ccf390adcf74",
 *     prefixCrc32: 1886087524,
 *   }],
 * });
 * const checkpoint = parseUploadCheckpoint(JSON.parse(text));
 * assert.equal(checkpoint.parts.length, 1);
 * assert.throws(
 *   () => parseUploadCheckpoint({ ...checkpoint, uploadId: 7 }),
 *   { name: "TypeError", message: "Invalid upload checkpoint: expected uploadId to be a non-empty string but got 7" },
 * );
 * ```
 */
export function parseUploadCheckpoint(value: unknown): UploadCheckpoint {
  if (!isObject(value)) invalid(TypeError, "", "an object", value);
  const { version, bucket, key, uploadId, partSize, contentLength, parts } =
    value as Record<string, unknown>;
  if (version !== CHECKPOINT_VERSION) {
    invalid(RangeError, "version", `${CHECKPOINT_VERSION}`, version);
  }
  for (
    const [name, field] of [["bucket", bucket], ["key", key], [
      "uploadId",
      uploadId,
    ]] as const
  ) {
    if (typeof field !== "string" || field === "") {
      invalid(TypeError, name, "a non-empty string", field);
    }
  }
  integer("partSize", partSize, MIN_PART_SIZE, MAX_PART_SIZE);
  if (contentLength !== undefined) {
    integer("contentLength", contentLength, 0, MAX_UPLOAD_SIZE);
  }
  if (!Array.isArray(parts)) invalid(TypeError, "parts", "an array", parts);
  const plan = planPartSizes(
    partSize as number,
    contentLength as number | undefined,
  );
  // Planned offsets are summed as the part numbers rise, so checking every
  // part costs one pass however many there are.
  let plannedNumber = 1;
  let plannedOffset = 0;
  let previous = 0;
  (parts as unknown[]).forEach((part, index) => {
    const at = `parts[${index}]`;
    if (!isObject(part)) invalid(TypeError, at, "an object", part);
    const { partNumber, offset, size, etag, md5, prefixCrc32 } = part as Record<
      string,
      unknown
    >;
    integer(`${at}.partNumber`, partNumber, previous + 1, MAX_PARTS);
    const number = partNumber as number;
    for (; plannedNumber < number; plannedNumber++) {
      plannedOffset += plan.sizeOf(plannedNumber);
    }
    const planned = plan.sizeOf(number);
    integer(`${at}.offset`, offset, plannedOffset, plannedOffset);
    integer(`${at}.size`, size, 1, planned);
    const end = plannedOffset + (size as number);
    if (contentLength !== undefined && end > (contentLength as number)) {
      invalid(
        RangeError,
        `${at}.size`,
        `a part ending within contentLength ${contentLength}`,
        size,
      );
    }
    if ((size as number) < planned && index !== parts.length - 1) {
      invalid(
        RangeError,
        `${at}.size`,
        `${planned} (only the last part may be shorter)`,
        size,
      );
    }
    if (typeof etag !== "string" || etag === "") {
      invalid(TypeError, `${at}.etag`, "a non-empty string", etag);
    }
    if (typeof md5 !== "string" || !MD5_HEX.test(md5)) {
      invalid(TypeError, `${at}.md5`, "32 lowercase hex digits", md5);
    }
    integer(`${at}.prefixCrc32`, prefixCrc32, 0, 0xffff_ffff);
    previous = number;
  });
  return value as unknown as UploadCheckpoint;
}

/**
 * Where the parts of `checkpoint` stop running without a gap from part 1: the
 * body byte a resumed run may start its body at (the `bodyOffset` option),
 * since every byte before it is in a completed part. Produce the body from
 * there, e.g. with `zip()`'s `resume.offset`, so the data of entries wholly
 * in those parts is not read again.
 *
 * @param checkpoint A checkpoint from `onCheckpoint`.
 * @returns The end of the completed prefix, 0 when part 1 is not completed.
 *
 * @example Parts 1 and 2 done, part 4 done, part 3 missing
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointOffset } from "@zipstream/zipstream/s3";
 *
 * const part = (partNumber: number) => ({
 *   partNumber,
 *   offset: (partNumber - 1) * 5242880,
 *   size: 5242880,
 *   etag: '"x"',
 *   md5: "0".repeat(32),
 *   prefixCrc32: 0,
 * });
 * const checkpoint = {
 *   version: 1,
 *   bucket: "b",
 *   key: "k",
 *   uploadId: "u",
 *   partSize: 5242880,
 *   parts: [part(1), part(2), part(4)],
 * };
 * assert.equal(checkpointOffset(checkpoint), 2 * 5242880);
 * ```
 */
export function checkpointOffset(checkpoint: UploadCheckpoint): number {
  let end = 0;
  for (const [index, part] of checkpoint.parts.entries()) {
    if (part.partNumber !== index + 1) break;
    end = part.offset + part.size;
  }
  return end;
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function integer(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number") invalid(TypeError, name, "a number", value);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    invalid(
      RangeError,
      name,
      min === max ? `${min}` : `an integer from ${min} to ${max}`,
      value,
    );
  }
}

function invalid(
  Kind: typeof TypeError | typeof RangeError,
  name: string,
  expected: string,
  value: unknown,
): never {
  throw new Kind(
    `Invalid upload checkpoint: expected ${
      name === "" ? "it" : name
    } to be ${expected} but got ${show(value)}`,
  );
}
