/**
 * An archive laid out before any of it is sent: see {@linkcode planZip}.
 *
 * @module
 */

import type { RangedSource } from "./ranged_source.ts";

/** Where one entry of a planned archive lies, and what its headers say. */
export interface PlannedEntry {
  /** The member's path inside the archive. */
  readonly name: string;
  /** The offset of its local file header from the start of the archive. */
  readonly offset: number;
  /** The offset of its first byte of data. */
  readonly dataOffset: number;
  /** Its size in bytes (stored, so the same in the archive). */
  readonly size: number;
  /** The CRC-32 of its bytes. */
  readonly crc32: number;
  /** Its modification time, in epoch milliseconds. */
  readonly lastModified: number;
  /** Its source's identity, when it has one (see `RangedSource.identity`). */
  readonly identity: string | undefined;
  /**
   * Where its data is read from: what lets a builder copy an S3 object's
   * bytes server-side instead of reading them (see `copyPlanToS3`).
   */
  readonly source: RangedSource;
}

/**
 * An archive whose every byte is known before any is read: its size, a
 * strong ETag, where each entry lies, and any range of its bytes on demand.
 * Made by {@linkcode planZip}; served over HTTP by `serveZip`.
 */
export interface ZipPlan {
  /** The archive's length in bytes. */
  readonly size: number;
  /**
   * A strong HTTP entity tag, quoted (`"zs1-…"`): a digest of every byte of
   * the archive's headers and central directory (names, sizes, CRCs, times,
   * offsets, options) and of the sources' identities. Another plan of the
   * same entries, sources and options has the same ETag; a plan in which
   * anything changed has another.
   */
  readonly etag: string;
  /** The latest modification time of its entries, in epoch milliseconds. */
  readonly lastModified: number;
  /** The entries, in archive order. */
  readonly entries: readonly PlannedEntry[];
  /**
   * The archive's bytes from `start` (inclusive) to `end` (exclusive, the
   * archive's size when absent). Only the sources the range covers are read,
   * and only the parts of them it covers; the entry holding `start` is found
   * by binary search. A source that gives more or fewer bytes than planned,
   * or fails, fails the stream with an error naming the entry: the bytes
   * are cut short, never wrong.
   *
   * @throws {RangeError} unless `0 <= start <= end <= size`.
   */
  slice(start: number, end?: number): ReadableStream<Uint8Array>;
}
