/**
 * Local file header (APPNOTE 4.3.7).
 *
 * @module
 */

import { ByteWriter } from "./_byte_writer.ts";
import {
  LOCAL_FILE_HEADER_LENGTH,
  LOCAL_FILE_HEADER_SIGNATURE,
  UINT32_MAX,
  VERSION_NEEDED_DEFAULT,
  VERSION_NEEDED_ZIP64,
} from "./_constants.ts";
import type { EntryFields } from "./_entry_fields.ts";
import { zip64Extra } from "./_extra_fields.ts";

const NO_BYTES = new Uint8Array(0);

/**
 * The local file header that precedes an entry's data.
 *
 * With `zip64`, both size fields hold 0xFFFFFFFF and a ZIP64 extra field holds
 * the true sizes (4.5.3 requires both in a local header). An entry followed by
 * a data descriptor passes zero CRC and sizes (4.4.4 bit 3); with `zip64` its
 * extra field then holds zeros, which is what tells Info-ZIP, CPython, bsdtar
 * and Java to expect a 24-byte descriptor.
 */
export function localFileHeader(
  fields: EntryFields,
  crc32: number,
  compressedSize: number,
  size: number,
  zip64: boolean,
): Uint8Array {
  const zip64Field = zip64 ? zip64Extra([size, compressedSize]) : NO_BYTES;
  const extraLength = zip64Field.length + fields.timestampExtra.length;
  return new ByteWriter(
    LOCAL_FILE_HEADER_LENGTH + fields.nameBytes.length + extraLength,
  )
    .uint32(LOCAL_FILE_HEADER_SIGNATURE) // local file header signature
    .uint16(zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED_DEFAULT) // version needed to extract
    .uint16(fields.flags) // general purpose bit flag
    .uint16(fields.method) // compression method
    .uint16(fields.dosTime) // last mod file time
    .uint16(fields.dosDate) // last mod file date
    .uint32(crc32) // crc-32
    .uint32(zip64 ? UINT32_MAX : compressedSize) // compressed size
    .uint32(zip64 ? UINT32_MAX : size) // uncompressed size
    .uint16(fields.nameBytes.length) // file name length
    .uint16(extraLength) // extra field length
    .raw(fields.nameBytes) // file name
    .raw(zip64Field) // extra field: ZIP64 extended information
    .raw(fields.timestampExtra) // extra field: extended timestamp
    .done();
}
