/**
 * The shape of one archive member, as callers describe it.
 *
 * @module
 */

/** The compression methods zipstream writes (APPNOTE 4.4.5). */
export type CompressionMethod = "store" | "deflate";

/**
 * The bytes of an entry, in any of the shapes web code usually holds them.
 *
 * A `string` is encoded as UTF-8. `Uint8Array`, `ArrayBuffer` and strings are
 * "known up front": their CRC-32 and sizes go into the local header and no data
 * descriptor follows them. `Blob`s, streams and iterables are read once, in
 * order, as the archive is pulled. Stored chunks are passed on without being
 * copied, so a source must not change a chunk after giving it.
 */
export type ZipEntryData =
  | string
  | Uint8Array
  | ArrayBuffer
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/** One member of the archive: a file (with `data`) or a directory (name ending in `/`). */
export interface ZipEntry {
  /**
   * The member's path inside the archive, `/`-separated. A trailing `/` makes
   * a directory. Must be relative, free of `..` segments, backslashes and NUL,
   * at most 65,535 bytes of UTF-8, and unique within the archive.
   */
  name: string;
  /** The member's bytes; absent (or empty) for a directory. */
  data?: ZipEntryData;
  /**
   * The uncompressed size, for data whose size is not otherwise known
   * (streams and iterables). A stream that gives a different number of bytes
   * fails the archive with a `RangeError`.
   */
  size?: number;
  /**
   * The CRC-32 of the uncompressed bytes, when the caller already knows it.
   * Together with `size`, it lets a streamed entry carry its CRC and sizes in
   * the local header instead of a data descriptor. A mismatch fails the archive.
   */
  crc32?: number;
  /**
   * Modification time.
   *
   * @default {the archive's `lastModified` option}
   */
  lastModified?: Date | number;
  /**
   * Unix permission bits; file-type bits (such as `0o120000` for a symbolic
   * link) are kept when given.
   *
   * @default {0o644 for files, 0o755 for directories}
   */
  mode?: number;
  /**
   * How to compress this entry.
   *
   * @default {the archive's `compression` option}
   */
  compression?: CompressionMethod;
  /**
   * Deflate level, 0 (fastest) to 9 (smallest).
   *
   * @default {the archive's `level` option}
   */
  level?: number;
  /** A comment stored in the central directory for this entry. */
  comment?: string;
}

/**
 * Where `zip()` pulls entries from: an array, a generator, an async generator
 * or a `ReadableStream`. Entries are pulled one at a time, as the archive is
 * read.
 */
export type ZipEntrySource =
  | ReadableStream<ZipEntry>
  | AsyncIterable<ZipEntry>
  | Iterable<ZipEntry>;
