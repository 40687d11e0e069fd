/**
 * Where an entry's CRC and sizes go, decided before its data is read: the
 * choice between a complete local header and a data descriptor, and between
 * 32-bit fields and ZIP64. The writer and `predictLength` share it, which is
 * what keeps the predicted length exact.
 *
 * @module
 */

import { METHOD_DEFLATE, METHOD_STORE, UINT32_MAX } from "./_constants.ts";
import { dataDescriptorRecordLength } from "./_data_descriptor.ts";
import { deflateBound } from "./_deflater.ts";
import type { ResolvedEntry } from "./_resolved_entry.ts";
import type { EntryFields, Method } from "./_entry_fields.ts";
import { localFileHeaderLength } from "./_local_file_header.ts";

/** How a streamed entry's records are laid out. */
export interface EntryLayout {
  /** Compression method. */
  readonly method: Method;
  /** CRC and sizes follow the data instead of filling the local header. */
  readonly usesDataDescriptor: boolean;
  /** The local header carries a ZIP64 extra field (and any descriptor is 24 bytes). */
  readonly zip64: boolean;
}

/**
 * Lays out an entry whose data is streamed. An empty entry is stored: deflate
 * would only add two bytes. A stored entry whose size and CRC are both known
 * needs no descriptor, which keeps it readable by front-to-back readers like
 * Java's `ZipInputStream` that refuse stored data followed by a descriptor.
 * Everything else gets a descriptor, with ZIP64 fields unless its size is
 * known and cannot reach 4 GiB once compressed.
 */
export function streamedEntryLayout(entry: ResolvedEntry): EntryLayout {
  const method = entry.size === 0 || entry.compression === "store"
    ? METHOD_STORE
    : METHOD_DEFLATE;
  const crcKnown = entry.crc32 !== undefined || entry.size === 0;
  if (method === METHOD_STORE && entry.size !== undefined && crcKnown) {
    return {
      method,
      usesDataDescriptor: false,
      zip64: entry.size >= UINT32_MAX,
    };
  }
  const largestCompressedSize = entry.size === undefined
    ? Infinity
    : method === METHOD_STORE
    ? entry.size
    : deflateBound(entry.size);
  return {
    method,
    usesDataDescriptor: true,
    zip64: largestCompressedSize >= UINT32_MAX,
  };
}

/** Lays out an entry whose data was in memory, once it has been compressed (or not). */
export function inMemoryEntryLayout(
  method: Method,
  size: number,
  compressedSize: number,
): EntryLayout {
  return {
    method,
    usesDataDescriptor: false,
    zip64: size >= UINT32_MAX || compressedSize >= UINT32_MAX,
  };
}

/** The length of the data descriptor that follows an entry with this layout. */
export function dataDescriptorLength(layout: EntryLayout): number {
  return layout.usesDataDescriptor
    ? dataDescriptorRecordLength(layout.zip64)
    : 0;
}

/**
 * The bytes an entry takes before the central directory: its local header,
 * its data as written, and its data descriptor if it has one.
 */
export function entryLength(
  fields: EntryFields,
  layout: EntryLayout,
  compressedSize: number,
): number {
  return localFileHeaderLength(fields, layout.zip64) + compressedSize +
    dataDescriptorLength(layout);
}
