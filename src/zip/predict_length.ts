/**
 * `predictLength()`: the exact size of an archive before it is written.
 *
 * @module
 */

import { ArchiveLinks } from "./_archive_links.ts";
import { ByteStringArena, ByteStringSet } from "./_byte_string_set.ts";
import { centralDirectoryHeaderLength } from "./_central_directory_header.ts";
import { METHOD_STORE } from "./_constants.ts";
import { endRecordsLength } from "./_end_of_central_directory.ts";
import {
  type EntryLayout,
  entryLength,
  type EntrySizes,
  inMemoryEntryLayout,
  streamedEntryLayout,
} from "./_entry_layout.ts";
import { describeValue } from "../_errors.ts";
import { claimName, nameKeyLength } from "./_entry_name.ts";
import {
  entryFields,
  type ResolvedEntry,
  resolveEntry,
} from "./_resolved_entry.ts";
import { resolveOptions } from "./_resolved_options.ts";
import type { ZipEntry } from "./zip_entry.ts";
import type { ZipOptions } from "./zip_options.ts";
import { encryptionOverhead } from "./_entry_encryption.ts";

/**
 * Computes the exact length in bytes of the archive that `zip(entries,
 * options)` would produce, without reading any data, so that a server can
 * send `Content-Length` and an upload can size its parts.
 *
 * Every entry must have a known size (bytes, a string, a `Blob`, or a stream
 * with `size`) and be stored: the size of deflated data cannot be known
 * before compressing it. Empty entries and directories are always stored, so
 * they may keep the default compression. Entries are checked as `zip()`
 * checks them, so an archive `zip()` would reject is rejected here too.
 * Streams are not read; iterating `entries` consumes a generator. With
 * `resume`, the length is that of the bytes `zip()` emits from
 * `resume.offset` on. Encrypted entries (`password`) count the 28 bytes
 * WinZip AES adds to each.
 *
 * @param entries The entries `zip()` will be given.
 * @param options The options `zip()` will be given.
 * @returns The archive's length in bytes.
 * @throws {TypeError} naming the first entry whose length cannot be known
 * ahead (deflate, or unknown size), or when an entry or option is invalid.
 * @throws {RangeError} when an entry or option is out of range.
 *
 * @example Send an exact Content-Length
 * ```ts
 * import assert from "node:assert/strict";
 * import { predictLength, zip } from "@zipstream/zipstream";
 *
 * const entries = [
 *   { name: "a.txt", data: "first" },
 *   { name: "b.bin", data: new Uint8Array(1000) },
 * ];
 * const options = { compression: "store" as const };
 * const response = new Response(zip(entries, options), {
 *   headers: { "Content-Length": String(predictLength(entries, options)) },
 * });
 * const bytes = await response.arrayBuffer();
 * assert.equal(bytes.byteLength, predictLength(entries, options));
 * ```
 */
export function predictLength(
  entries: Iterable<ZipEntry>,
  options?: ZipOptions,
): number {
  if (
    typeof entries !== "object" || entries === null ||
    typeof (entries as Partial<Iterable<ZipEntry>>)[Symbol.iterator] !==
      "function"
  ) {
    throw new TypeError(
      `Cannot predict the archive's length: expected entries to be an iterable but received ${
        describeValue(entries)
      }`,
    );
  }
  const resolved = resolveOptions(options);
  // No central directory is written here to hold the names claimed, so an
  // arena keeps them.
  const claimed = new ByteStringArena();
  const names = new ByteStringSet(claimed);
  const links = new ArchiveLinks(claimed);
  let offset = 0;
  let centralSize = 0;
  let entryCount = 0;
  for (const entry of entries) {
    const known = resolveEntry(entry, resolved.defaults, entryCount);
    claimName(names, known.name, known.nameBytes);
    const { nameBytes } = known;
    claimed.append(nameBytes, nameKeyLength(nameBytes, 0, nameBytes.length));
    links.admit(known, resolved.allowEscapingSymlinks);
    const size = knownStoredSize(known);
    const sizes = {
      size,
      compressedSize: size + encryptionOverhead(known.encryption),
    };
    const layout = predictedLayout(known, sizes);
    const fields = entryFields(known, layout.method, layout.usesDataDescriptor);
    centralSize += centralDirectoryHeaderLength(
      fields,
      sizes.compressedSize,
      size,
      offset,
    );
    offset += entryLength(fields, layout, sizes);
    entryCount++;
  }
  const extent = { entryCount, size: centralSize, offset };
  const total = offset + centralSize +
    endRecordsLength(extent, resolved.commentBytes);
  if (resolved.resumeOffset > total) {
    throw new RangeError(
      `Cannot predict the archive's length: expected resume.offset within its ${total} bytes but received ${resolved.resumeOffset}`,
    );
  }
  return total - resolved.resumeOffset;
}

function knownStoredSize(entry: ResolvedEntry): number {
  if (entry.size === undefined) {
    throw new TypeError(
      `Cannot predict the archive's length: the size of ${
        JSON.stringify(entry.name)
      } is unknown; give the entry a size`,
    );
  }
  if (entry.size > 0 && entry.compression !== "store") {
    throw new TypeError(
      `Cannot predict the archive's length: ${
        JSON.stringify(entry.name)
      } is compressed with deflate, whose output size is unknown until it is written; store it instead`,
    );
  }
  return entry.size;
}

function predictedLayout(
  entry: ResolvedEntry,
  sizes: EntrySizes,
): EntryLayout {
  return entry.body.kind === "bytes"
    ? inMemoryEntryLayout(METHOD_STORE, sizes, entry.zip64)
    : streamedEntryLayout(entry);
}
