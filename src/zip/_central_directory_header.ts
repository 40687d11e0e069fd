/**
 * Central directory file header (APPNOTE 4.3.12).
 *
 * @module
 */

import type { ByteWriter } from "./_byte_writer.ts";
import {
  CENTRAL_DIRECTORY_HEADER_LENGTH,
  CENTRAL_DIRECTORY_HEADER_SIGNATURE,
  UINT32_MAX,
  VERSION_MADE_BY,
} from "./_constants.ts";
import { type EntryFields, versionNeeded } from "./_entry_fields.ts";
import { writeZip64Extra, zip64ExtraLength } from "./_extra_fields.ts";

/** How many of the three 32-bit fields overflow into the ZIP64 extra field. */
function overflowCount(
  compressedSize: number,
  size: number,
  localHeaderOffset: number,
): number {
  return Number(size >= UINT32_MAX) + Number(compressedSize >= UINT32_MAX) +
    Number(localHeaderOffset >= UINT32_MAX);
}

function centralExtraLength(fields: EntryFields, overflows: number): number {
  return (overflows > 0 ? zip64ExtraLength(overflows) : 0) +
    fields.timestampExtra.length + fields.aesExtra.length;
}

/** The length of the central directory header of an entry with these values. */
export function centralDirectoryHeaderLength(
  fields: EntryFields,
  compressedSize: number,
  size: number,
  localHeaderOffset: number,
): number {
  const overflows = overflowCount(compressedSize, size, localHeaderOffset);
  return CENTRAL_DIRECTORY_HEADER_LENGTH + fields.nameBytes.length +
    centralExtraLength(fields, overflows) + fields.commentBytes.length;
}

/**
 * Writes the central directory's record of one entry at the writer's
 * position. Only the fields that overflow 32 bits move into a ZIP64 extra
 * field, so an archive that fits stays plain for readers without ZIP64
 * support. `localZip64` says whether the local header used ZIP64, which
 * raises the version needed to extract to 4.5.
 */
export function writeCentralDirectoryHeader(
  writer: ByteWriter,
  fields: EntryFields,
  crc32: number,
  compressedSize: number,
  size: number,
  localHeaderOffset: number,
  localZip64: boolean,
): void {
  const sizeOverflows = size >= UINT32_MAX;
  const compressedSizeOverflows = compressedSize >= UINT32_MAX;
  const offsetOverflows = localHeaderOffset >= UINT32_MAX;
  const overflows = overflowCount(compressedSize, size, localHeaderOffset);
  const zip64 = localZip64 || overflows > 0;
  writer
    .uint32(CENTRAL_DIRECTORY_HEADER_SIGNATURE) // central file header signature
    .uint16(VERSION_MADE_BY) // version made by
    .uint16(versionNeeded(fields, zip64)) // version needed to extract
    .uint16(fields.flags) // general purpose bit flag
    .uint16(fields.method) // compression method
    .uint16(fields.dosTime) // last mod file time
    .uint16(fields.dosDate) // last mod file date
    .uint32(crc32) // crc-32
    .uint32(compressedSizeOverflows ? UINT32_MAX : compressedSize) // compressed size
    .uint32(sizeOverflows ? UINT32_MAX : size) // uncompressed size
    .uint16(fields.nameBytes.length) // file name length
    .uint16(centralExtraLength(fields, overflows)) // extra field length
    .uint16(fields.commentBytes.length) // file comment length
    .uint16(0) // disk number start
    .uint16(0) // internal file attributes
    .uint32(fields.externalAttributes) // external file attributes
    .uint32(offsetOverflows ? UINT32_MAX : localHeaderOffset) // relative offset of local header
    .raw(fields.nameBytes); // file name
  if (overflows > 0) {
    // The array is built only for the rare header that overflows.
    const overflowing: number[] = [];
    if (sizeOverflows) overflowing.push(size);
    if (compressedSizeOverflows) overflowing.push(compressedSize);
    if (offsetOverflows) overflowing.push(localHeaderOffset);
    writeZip64Extra(writer, overflowing); // extra field: ZIP64 extended information
  }
  writer
    .raw(fields.timestampExtra) // extra field: extended timestamp
    .raw(fields.aesExtra) // extra field: WinZip AES
    .raw(fields.commentBytes); // file comment
}
