/**
 * What an archive records of each entry once written, and how a later run
 * uses those records to resume.
 *
 * @module
 */

/**
 * An entry as the central directory records it: where its local header
 * starts and the CRC and sizes its data turned out to have. `zip()` reports
 * one per entry through `ZipOptions.onEntry`; handed back through
 * `ZipOptions.resume`, it lets a later run skip the entry's data.
 *
 * @example Record where each entry landed
 * ```ts
 * import assert from "node:assert/strict";
 * import { type WrittenEntry, zip } from "@zipstream/zipstream";
 *
 * const written: WrittenEntry[] = [];
 * await new Response(zip([{ name: "a.txt", data: "abc" }], {
 *   compression: "store",
 *   onEntry: (entry) => written.push(entry),
 * })).arrayBuffer();
 * assert.equal(written[0]?.offset, 0);
 * assert.equal(written[0]?.size, 3);
 * ```
 */
export interface WrittenEntry {
  /** The entry's name. */
  readonly name: string;
  /** Offset of the entry's local header from the start of the archive. */
  readonly offset: number;
  /** Offset just past the entry's last byte (data, and descriptor if any). */
  readonly end: number;
  /**
   * CRC-32 of the uncompressed data, as the headers carry it: 0 for an
   * entry encrypted with AE-2, whose headers keep no CRC.
   */
  readonly crc32: number;
  /** Uncompressed size in bytes. */
  readonly size: number;
  /** Size of the data as stored in the archive. */
  readonly compressedSize: number;
}

/**
 * Where to resume an archive whose first bytes were already delivered (for
 * instance, the completed parts of an interrupted upload).
 *
 * @example Produce only the rest of an archive
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ResumePoint, type WrittenEntry, zip, type ZipEntry } from "@zipstream/zipstream";
 *
 * const entries = (): ZipEntry[] => [
 *   { name: "a.bin", data: [new Uint8Array(1000)], compression: "store" },
 *   { name: "b.bin", data: [new Uint8Array(1000)], compression: "store" },
 * ];
 * const options = { lastModified: 0 };
 * const written: WrittenEntry[] = [];
 * const full = await new Response(
 *   zip(entries(), { ...options, onEntry: (entry) => written.push(entry) }),
 * ).bytes();
 * const resume: ResumePoint = { offset: written[0]!.end, entries: written };
 * const rest = await new Response(zip(entries(), { ...options, resume })).bytes();
 * assert.deepEqual(rest, full.subarray(written[0]!.end));
 * ```
 */
export interface ResumePoint {
  /** The archive byte the output starts at; the bytes before it are not emitted. */
  readonly offset: number;
  /**
   * Records of entries written by the earlier run. A streamed entry that
   * ends before `offset` and has a record here is not read at all: its
   * source is cancelled unread and its central directory header is rebuilt
   * from the record. Other entries (in-memory data is at hand anyway, and
   * entries without a record) are written again, and only their bytes from
   * `offset` on are emitted.
   *
   * @default {[]}
   */
  readonly entries?: Iterable<WrittenEntry>;
}
