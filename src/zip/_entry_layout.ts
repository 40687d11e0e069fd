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
import { encryptionOverhead } from "./_entry_encryption.ts";
import type { EntryFields, Method } from "./_entry_fields.ts";
import { localFileHeaderLength } from "./_local_file_header.ts";

/** How a streamed entry's records are laid out. */
export interface EntryLayout {
  /** Compression method. */
  readonly method: Method;
  /** CRC and sizes follow the data instead of filling the local header. */
  readonly usesDataDescriptor: boolean;
  /**
   * The local header carries a ZIP64 extra field, and so any descriptor has
   * 8-byte sizes (APPNOTE 4.3.9.2).
   */
  readonly zip64: boolean;
}

/** The sizes of an entry's data, as written. */
export interface EntrySizes {
  /** Uncompressed. */
  readonly size: number;
  /** As stored in the archive. */
  readonly compressedSize: number;
}

/**
 * Lays out an entry whose data is streamed. An empty entry is stored: deflate
 * would only add two bytes. A stored entry whose size and CRC are both known
 * needs no descriptor, which keeps it readable by front-to-back readers like
 * Java's `ZipInputStream` that refuse stored data followed by a descriptor.
 *
 * Everything else gets a descriptor. Its local header has ZIP64 fields only
 * when the entry asked for them or its known size may reach 4 GiB once
 * compressed: one of unknown size gets a plain header, and a descriptor as
 * wide as its final sizes need (see `descriptorIsZip64`), as Go's
 * `archive/zip` writes it. A ZIP64 local header would oblige 24-byte
 * descriptors even for a 3-byte entry, which Java's `ZipInputStream` before
 * JDK 21 and Node's `unzipper` refuse: they choose the width from the sizes
 * (and unzipper, which finds the end of stored data by the descriptor's
 * signature, always reads 16 bytes). bsdtar takes the width from the local
 * header instead, so it refuses an entry that passes 4 GiB without having
 * said so (`zip64`). An encrypted entry's compressed size counts the 28
 * bytes that WinZip AES adds.
 */
export function streamedEntryLayout(entry: ResolvedEntry): EntryLayout {
  const method = entry.size === 0 || entry.compression === "store"
    ? METHOD_STORE
    : METHOD_DEFLATE;
  // AE-2 headers carry no CRC, so a stored AE-2 entry of known size needs
  // no descriptor even when its CRC is unknown.
  const crcKnown = entry.crc32 !== undefined || entry.size === 0 ||
    entry.encryption?.version === 2;
  const overhead = encryptionOverhead(entry.encryption);
  if (method === METHOD_STORE && entry.size !== undefined && crcKnown) {
    return {
      method,
      usesDataDescriptor: false,
      zip64: entry.zip64 || entry.size + overhead >= UINT32_MAX,
    };
  }
  const largestCompressedSize = entry.size === undefined ? 0 : overhead +
    (method === METHOD_STORE ? entry.size : deflateBound(entry.size));
  return {
    method,
    usesDataDescriptor: true,
    zip64: entry.zip64 || largestCompressedSize >= UINT32_MAX,
  };
}

/** Lays out an entry whose data was in memory, once it has been compressed (or not). */
export function inMemoryEntryLayout(
  method: Method,
  sizes: EntrySizes,
  zip64: boolean,
): EntryLayout {
  return {
    method,
    usesDataDescriptor: false,
    zip64: zip64 || overflows(sizes),
  };
}

/**
 * Whether the data descriptor after an entry has 8-byte sizes: always after
 * a ZIP64 local header (APPNOTE 4.3.9.2), otherwise only when a size does not
 * fit in 4 bytes, which is how readers that look at the sizes they counted
 * (Java's `ZipInputStream`, Info-ZIP, libarchive) read it.
 */
export function descriptorIsZip64(
  layout: EntryLayout,
  sizes: EntrySizes,
): boolean {
  return layout.zip64 || overflows(sizes);
}

/** The length of the data descriptor that follows an entry with this layout. */
export function dataDescriptorLength(
  layout: EntryLayout,
  sizes: EntrySizes,
): number {
  return layout.usesDataDescriptor
    ? dataDescriptorRecordLength(descriptorIsZip64(layout, sizes))
    : 0;
}

/**
 * The bytes an entry takes before the central directory: its local header,
 * its data as written, and its data descriptor if it has one.
 */
export function entryLength(
  fields: EntryFields,
  layout: EntryLayout,
  sizes: EntrySizes,
): number {
  return localFileHeaderLength(fields, layout.zip64) + sizes.compressedSize +
    dataDescriptorLength(layout, sizes);
}

function overflows(sizes: EntrySizes): boolean {
  return sizes.size >= UINT32_MAX || sizes.compressedSize >= UINT32_MAX;
}
