/**
 * Where a zip archive whose upload was interrupted starts again: the join of
 * the archive's written-entry records and the upload's checkpoint.
 *
 * @module
 */

import { show } from "../_errors.ts";
import type { ResumePoint, WrittenEntry } from "../zip/written_entry.ts";
import {
  checkpointOffset,
  parseUploadCheckpoint,
  type UploadCheckpoint,
} from "./upload_checkpoint.ts";

const CANNOT = "Cannot find where the archive resumes";

/**
 * Where a resumed archive and its upload start, as the options that say so:
 * spread `upload` into the options of `uploadToS3` (or `S3UploadStream`) and
 * pass `archive` as `zip()`'s `resume`.
 *
 * @example Keep the records and checkpoints, then resume after a failure (a client double stands in for S3)
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHash } from "node:crypto";
 * import {
 *   CompleteMultipartUploadCommand,
 *   CreateMultipartUploadCommand,
 *   HeadObjectCommand,
 *   ListPartsCommand,
 *   UploadPartCommand,
 * } from "@aws-sdk/client-s3";
 * import {
 *   decodeWrittenEntry,
 *   encodeWrittenEntry,
 *   zip,
 *   type ZipEntry,
 * } from "@zipstream/zipstream";
 * import {
 *   parseUploadCheckpoint,
 *   resumePointOf,
 *   uploadToS3,
 * } from "@zipstream/zipstream/s3";
 *
 * const MIB = 1024 * 1024;
 * const md5 = (bytes: Uint8Array) =>
 *   createHash("md5").update(bytes).digest("hex");
 * const stored = new Map<number, Uint8Array<ArrayBuffer>>();
 * let refusePart3 = true;
 * // S3's ETag of a multipart object: the MD5 of its parts' MD5s, and their count.
 * const objectEtag = () => {
 *   const hash = createHash("md5");
 *   for (const bytes of stored.values()) {
 *     hash.update(createHash("md5").update(bytes).digest());
 *   }
 *   return `"${hash.digest("hex")}-${stored.size}"`;
 * };
 * const client = {
 *   send(command: object) {
 *     if (command instanceof CreateMultipartUploadCommand) {
 *       return Promise.resolve({ UploadId: "upload-1" });
 *     }
 *     if (command instanceof UploadPartCommand) {
 *       const bytes = (command.input.Body as Uint8Array).slice();
 *       if (command.input.PartNumber === 3 && refusePart3) {
 *         const denied = new Error("Access denied");
 *         denied.name = "AccessDenied";
 *         Object.assign(denied, { $metadata: { httpStatusCode: 403 } });
 *         return Promise.reject(denied);
 *       }
 *       stored.set(command.input.PartNumber!, bytes);
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
 *     if (command instanceof CompleteMultipartUploadCommand) {
 *       return Promise.resolve({ ETag: objectEtag() });
 *     }
 *     if (command instanceof HeadObjectCommand) {
 *       const sizes = [...stored.values()].map((bytes) => bytes.length);
 *       return Promise.resolve({
 *         ContentLength: sizes.reduce((sum, size) => sum + size, 0),
 *         ETag: objectEtag(),
 *       });
 *     }
 *     return Promise.resolve({});
 *   },
 * };
 * // The same entries and options in both runs: the same bytes.
 * const entries = (): ZipEntry[] =>
 *   ["a", "b", "c"].map((name) => ({
 *     name,
 *     data: ReadableStream.from([new Uint8Array(4 * MIB).fill(name.charCodeAt(0))]),
 *   }));
 * const zipOptions = { compression: "store", lastModified: Date.UTC(2026, 0, 1) } as const;
 * const uploadOptions = {
 *   client,
 *   bucket: "exports",
 *   key: "files.zip",
 *   partSize: 5 * MIB,
 *   concurrency: 1,
 * };
 *
 * // The first run keeps what it needs to resume (in files, in real use).
 * let records = "";
 * let checkpoint = "";
 * await assert.rejects(
 *   uploadToS3(
 *     zip(entries(), {
 *       ...zipOptions,
 *       onEntry: (entry) => {
 *         records += `${encodeWrittenEntry(entry)}\n`;
 *       },
 *     }),
 *     {
 *       ...uploadOptions,
 *       abortOnFailure: false,
 *       onCheckpoint: (saved) => {
 *         checkpoint = JSON.stringify(saved);
 *       },
 *     },
 *   ),
 *   { name: "S3UploadError", uploadKept: true, partNumber: 3 },
 * );
 *
 * // Parts 1 and 2 are done; "b" starts in part 1 and ends in part 2.
 * refusePart3 = false;
 * const point = resumePointOf(
 *   parseUploadCheckpoint(JSON.parse(checkpoint)),
 *   records.trimEnd().split("\n").map((line) => decodeWrittenEntry(line)),
 * );
 * assert.equal(point.archive.offset, 5 * MIB);
 * assert.deepEqual(point.archive.entries.map((entry) => entry.name), ["a"]);
 * const result = await uploadToS3(
 *   zip(entries(), { ...zipOptions, resume: point.archive }),
 *   { ...uploadOptions, ...point.upload },
 * );
 * const full = await new Response(zip(entries(), zipOptions)).bytes();
 * assert.equal(result.size, full.length);
 * assert.deepEqual(await new Blob([...stored.values()]).bytes(), full);
 * ```
 */
export interface ArchiveResumePoint {
  /**
   * `zip()`'s `resume` option: the archive from `offset` on, without
   * reading the data of the entries recorded in `entries`, the records that
   * end at or before `offset`. The resumed archive's `onEntry` reports them
   * again, then the entries after them: a store of records for a later
   * resume may start over from these.
   */
  readonly archive: ResumePoint & { readonly entries: readonly WrittenEntry[] };
  /**
   * `uploadToS3`'s `resume` and `bodyOffset` options: the checkpoint, and
   * the body byte the resumed archive starts at (`archive.offset`).
   */
  readonly upload: {
    readonly resume: UploadCheckpoint;
    readonly bodyOffset: number;
  };
}

/**
 * Finds where an archive whose upload was interrupted starts again, from
 * what the earlier run kept: the last checkpoint its upload reported
 * (`onCheckpoint`) and the records of the entries its archive wrote
 * (`onEntry`), in the order they were reported.
 *
 * Not simply where the completed parts stop: an entry that runs past that
 * point has to be read again from its start, and its bytes in the completed
 * parts are then hashed again and compared with the checkpoint, which
 * catches an input that changed without its size or time changing. So the
 * archive resumes at the last part boundary before the first entry that is
 * not wholly in completed parts. Records are trusted only while each starts
 * where the one before ended, from offset 0: a record lost to a crash ends
 * what is known, and the archive resumes before it.
 *
 * @param checkpoint The last checkpoint of the interrupted upload.
 * @param entries The records of the written entries, in archive order; those
 * past the completed parts are not needed, and reading stops at the first.
 * @returns The options that resume the archive and its upload.
 * @throws {TypeError} `checkpoint` is not a checkpoint, `entries` not an
 * iterable, or a record not a written entry.
 * @throws {RangeError} A field of `checkpoint` is out of range.
 *
 * @example Entry "c" runs past the two completed parts: resume after part 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { resumePointOf, type UploadCheckpoint } from "@zipstream/zipstream/s3";
 *
 * const MIB = 1024 * 1024;
 * const part = (partNumber: number) => ({
 *   partNumber,
 *   offset: (partNumber - 1) * 5 * MIB,
 *   size: 5 * MIB,
 *   etag: '"9b2cf535f27731c974343645a3985328"',
 *   md5: "9b2cf535f27731c974343645a3985328",
 *   prefixCrc32: 0,
 * });
 * const checkpoint: UploadCheckpoint = {
 *   version: 1,
 *   bucket: "exports",
 *   key: "big.zip",
 *   uploadId: "u-1",
 *   partSize: 5 * MIB,
 *   parts: [part(1), part(2)],
 * };
 * const record = (name: string, offset: number, end: number) =>
 *   ({ name, offset, end, crc32: 0, size: 0, compressedSize: 0 });
 * const a = record("a", 0, 4 * MIB);
 * const b = record("b", 4 * MIB, 7 * MIB);
 * const c = record("c", 7 * MIB, 12 * MIB);
 *
 * const point = resumePointOf(checkpoint, [a, b, c]);
 * assert.deepEqual(point.archive, { offset: 5 * MIB, entries: [a] });
 * assert.deepEqual(point.upload, { resume: checkpoint, bodyOffset: 5 * MIB });
 * ```
 */
export function resumePointOf(
  checkpoint: UploadCheckpoint,
  entries: Iterable<WrittenEntry>,
): ArchiveResumePoint {
  try {
    parseUploadCheckpoint(checkpoint);
  } catch (error) {
    const Kind = error instanceof RangeError ? RangeError : TypeError;
    throw new Kind(
      `${CANNOT}: invalid checkpoint: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (
    typeof (entries as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !==
      "function"
  ) {
    throw new TypeError(
      `${CANNOT}: expected entries to be an iterable of written entries but got ${
        show(entries)
      }`,
    );
  }
  const done = checkpointOffset(checkpoint);
  const whole = wholeEntries(entries, done);
  const wholeEnd = whole.at(-1)?.end ?? 0;
  let offset = 0;
  for (const [index, part] of checkpoint.parts.entries()) {
    if (part.partNumber !== index + 1 || part.offset + part.size > wholeEnd) {
      break;
    }
    offset = part.offset + part.size;
  }
  return {
    archive: {
      offset,
      entries: whole.filter((record) => record.end <= offset),
    },
    upload: { resume: checkpoint, bodyOffset: offset },
  };
}

/**
 * The records, from the first, that chain without a gap and end within the
 * first `done` bytes.
 */
function wholeEntries(
  entries: Iterable<WrittenEntry>,
  done: number,
): WrittenEntry[] {
  const whole: WrittenEntry[] = [];
  let end = 0;
  for (const record of entries) {
    checkRecord(record, whole.length);
    if (record.offset !== end || record.end > done) break;
    whole.push(record);
    end = record.end;
  }
  return whole;
}

function checkRecord(record: WrittenEntry, index: number): void {
  const { offset, end } = (record ?? {}) as Partial<WrittenEntry>;
  if (
    typeof record?.name !== "string" || !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(end) || (offset as number) < 0 ||
    (end as number) < (offset as number)
  ) {
    throw new TypeError(
      `${CANNOT}: expected entries[${index}] to be a written entry (from onEntry or decodeWrittenEntry) but got ${
        show(record)
      }`,
    );
  }
}
