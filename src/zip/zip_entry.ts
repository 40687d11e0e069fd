/**
 * The shape of one archive member, as callers describe it.
 *
 * @module
 */

/**
 * The compression methods zipstream writes (APPNOTE 4.4.5): `"store"` keeps
 * the bytes as they are, `"deflate"` compresses them.
 *
 * @example Store already-compressed data, deflate the rest
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CompressionMethod } from "@zipstream/zipstream";
 *
 * const methodFor = (name: string): CompressionMethod =>
 *   /\.(jpe?g|png|zip|gz)$/.test(name) ? "store" : "deflate";
 * assert.equal(methodFor("photo.jpg"), "store");
 * assert.equal(methodFor("notes.txt"), "deflate");
 * ```
 */
export type CompressionMethod = "store" | "deflate";

/**
 * The bytes of an entry, in any of the shapes web code usually holds them.
 *
 * A `string` is encoded as UTF-8. A `Uint8Array`, any other `ArrayBufferView`
 * (a `DataView`, an `Int16Array`, a Node `Buffer`) or an `ArrayBuffer` stands
 * for exactly the bytes it covers. These and strings are "known up front":
 * their CRC-32 and sizes go into the local header and no data descriptor
 * follows them. `Blob`s, streams and iterables are read once, in order, as
 * the archive is pulled; their chunks may be any of the byte shapes above
 * (a detached buffer, a string, a number, `undefined` or `null` is refused
 * with a `TypeError` naming the entry).
 *
 * A source may reuse one buffer for every chunk, and data given as an array
 * may be refilled once the archive has pulled the next entry: stored bytes
 * that the caller could write to again are copied before they are handed
 * on (see `ZipOptions.copyChunks`).
 *
 * @example Every shape of data in one archive
 * ```ts
 * import assert from "node:assert/strict";
 * import { zip, type ZipEntryData } from "@zipstream/zipstream";
 *
 * const bytes = new TextEncoder().encode("abc");
 * const shapes: ZipEntryData[] = [
 *   "abc",
 *   bytes,
 *   bytes.buffer,
 *   new Blob([bytes]),
 *   new Blob([bytes]).stream(),
 *   [bytes.subarray(0, 1), bytes.subarray(1)],
 * ];
 * const archive = zip(shapes.map((data, i) => ({ name: `${i}.txt`, data })));
 * assert.ok((await new Response(archive).arrayBuffer()).byteLength > 0);
 * ```
 */
export type ZipEntryData =
  | string
  | ArrayBufferView
  | ArrayBuffer
  | Blob
  | ReadableStream<ArrayBufferView | ArrayBuffer>
  | AsyncIterable<ArrayBufferView | ArrayBuffer>
  | Iterable<ArrayBufferView | ArrayBuffer>;

/**
 * One member of the archive: a file (with `data`) or a directory (name ending
 * in `/`).
 *
 * @example A file of unknown length, an executable and a symbolic link
 * ```ts
 * import assert from "node:assert/strict";
 * import { zip, type ZipEntry } from "@zipstream/zipstream";
 *
 * const entries: ZipEntry[] = [
 *   { name: "bin/" },
 *   { name: "bin/run.sh", data: "#!/bin/sh\necho hi\n", mode: 0o755 },
 *   { name: "bin/latest", data: "run.sh", mode: 0o120777 },
 *   {
 *     name: "logs/today.log",
 *     data: ReadableStream.from([new TextEncoder().encode("started\n")]),
 *     lastModified: new Date("2026-11-25T08:00:00Z"),
 *     comment: "streamed",
 *   },
 * ];
 * assert.ok((await new Response(zip(entries)).arrayBuffer()).byteLength > 0);
 * ```
 */
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
   * Unix permission bits; file-type bits are kept when given. With the
   * symbolic link type (`0o120000`, as in `0o120777`) the entry is a link and
   * its data is its target, given as a string or bytes (not a stream, so
   * that it is checked before it is written): a non-empty relative path,
   * resolved from the link's own folder, that stays inside the archive
   * (`a/link` → `../b`, not `../../b`, nor `/etc`), unless
   * `ZipOptions.allowEscapingSymlinks` says otherwise. No entry may lie
   * beneath a link of the same archive (`link`, then `link/passwd`): an
   * extractor would write it wherever the link points.
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
  /**
   * Write ZIP64 fields in this entry's local header (and 8-byte sizes in its
   * data descriptor, if it has one) whatever its size: say so for a stream
   * of unknown size that may pass 4 GiB. Without it, such an entry gets a
   * plain local header and a data descriptor as wide as its final sizes
   * need, which suits every reader tested while the entry stays below 4 GiB;
   * past 4 GiB, 7-Zip reports a "Headers Error" (and still extracts the
   * data) and bsdtar reading from a pipe refuses a stored entry. With it,
   * those two are content at any size, but Java's `ZipInputStream` before
   * JDK 21 and Node's `unzipper` (streaming) refuse the entry if it turns
   * out smaller than 4 GiB. Entries whose size is known (bytes, a `Blob`, a
   * declared `size`) get ZIP64 fields exactly when they need them. The
   * README has the table of readers.
   *
   * @default {false}
   */
  zip64?: boolean;
  /**
   * Encrypt this entry with WinZip AES-256 under this password instead of
   * the archive's (`ZipOptions.password`), or `false` to leave it plain in
   * an encrypted archive. Directories and symbolic links stay plain (the
   * value must still be a string or `false`).
   *
   * @default {the archive's `password` option}
   */
  password?: string | false;
}

/**
 * Where `zip()` pulls entries from: an array, a generator, an async generator
 * or a `ReadableStream`. Entries are pulled one at a time, as the archive is
 * read.
 *
 * @example A million entries from a generator, never all in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { zip, type ZipEntrySource } from "@zipstream/zipstream";
 *
 * function* numbered(): Generator<{ name: string; data: string }> {
 *   for (let i = 0; i < 1_000_000; i++) yield { name: `${i}.txt`, data: `${i}` };
 * }
 * const source: ZipEntrySource = numbered();
 * const reader = zip(source, { compression: "store" }).getReader();
 * assert.equal((await reader.read()).done, false);
 * await reader.cancel();
 * ```
 */
export type ZipEntrySource =
  | ReadableStream<ZipEntry>
  | AsyncIterable<ZipEntry>
  | Iterable<ZipEntry>;
