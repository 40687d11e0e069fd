/**
 * Local file header (APPNOTE 4.3.7).
 *
 * @module
 */

import type { ByteWriter } from "./_byte_writer.ts";
import {
  LOCAL_FILE_HEADER_LENGTH,
  LOCAL_FILE_HEADER_SIGNATURE,
  UINT32_MAX,
} from "./_constants.ts";
import { type EntryFields, versionNeeded } from "./_entry_fields.ts";
import { writeZip64Extra, zip64ExtraLength } from "./_extra_fields.ts";

/** Both sizes, which 4.5.3 requires together in a local header's ZIP64 field. */
const LOCAL_ZIP64_VALUE_COUNT = 2;

/** The length of the local file header of an entry with these fields. */
export function localFileHeaderLength(
  fields: EntryFields,
  zip64: boolean,
): number {
  return LOCAL_FILE_HEADER_LENGTH + fields.nameBytes.length +
    localExtraLength(fields, zip64);
}

function localExtraLength(fields: EntryFields, zip64: boolean): number {
  return (zip64 ? zip64ExtraLength(LOCAL_ZIP64_VALUE_COUNT) : 0) +
    fields.timestampExtra.length + fields.aesExtra.length;
}

/**
 * Writes the local file header that precedes an entry's data, at the
 * writer's position.
 *
 * With `zip64`, both size fields hold 0xFFFFFFFF and a ZIP64 extra field holds
 * the true sizes (4.5.3 requires both in a local header). An entry followed by
 * a data descriptor passes zero CRC and sizes (4.4.4 bit 3); with `zip64` its
 * extra field then holds zeros, which is what tells Info-ZIP, CPython, bsdtar
 * and Java to expect a 24-byte descriptor.
 */
export function writeLocalFileHeader(
  writer: ByteWriter,
  fields: EntryFields,
  crc32: number,
  compressedSize: number,
  size: number,
  zip64: boolean,
): void {
  writer
    .uint32(LOCAL_FILE_HEADER_SIGNATURE) // local file header signature
    .uint16(versionNeeded(fields, zip64)) // version needed to extract
    .uint16(fields.flags) // general purpose bit flag
    .uint16(fields.method) // compression method
    .uint16(fields.dosTime) // last mod file time
    .uint16(fields.dosDate) // last mod file date
    .uint32(crc32) // crc-32
    .uint32(zip64 ? UINT32_MAX : compressedSize) // compressed size
    .uint32(zip64 ? UINT32_MAX : size) // uncompressed size
    .uint16(fields.nameBytes.length) // file name length
    .uint16(localExtraLength(fields, zip64)) // extra field length
    .raw(fields.nameBytes); // file name
  if (zip64) writeZip64Extra(writer, [size, compressedSize]); // extra field: ZIP64 extended information
  writer
    .raw(fields.timestampExtra) // extra field: extended timestamp
    .raw(fields.aesExtra); // extra field: WinZip AES
}
