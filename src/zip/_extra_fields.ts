/**
 * The extra fields zipstream writes (APPNOTE 4.5): ZIP64 extended information
 * and Info-ZIP's extended timestamp.
 *
 * @module
 */

import { type ByteWriter, recordBytes } from "./_byte_writer.ts";
import {
  EXTENDED_TIMESTAMP_DATA_LENGTH,
  EXTENDED_TIMESTAMP_EXTRA_ID,
  EXTENDED_TIMESTAMP_MTIME_FLAG,
  EXTRA_FIELD_HEADER_LENGTH,
  ZIP64_EXTRA_ID,
} from "./_constants.ts";

const UINT64_LENGTH = 8;

/** The length of a ZIP64 extended information extra field holding `count` values. */
export function zip64ExtraLength(count: number): number {
  return EXTRA_FIELD_HEADER_LENGTH + count * UINT64_LENGTH;
}

/**
 * Writes the ZIP64 extended information extra field (4.5.3): the 64-bit
 * values of the header fields that overflowed, in the order uncompressed
 * size, compressed size, local header offset, each present only when its
 * field holds 0xFFFFFFFF.
 */
export function writeZip64Extra(
  writer: ByteWriter,
  values: readonly number[],
): void {
  writer
    .uint16(ZIP64_EXTRA_ID) // header ID
    .uint16(values.length * UINT64_LENGTH); // data size
  for (const value of values) writer.uint64(value);
}

/**
 * Extended timestamp extra field (Info-ZIP "UT", 4.6 third-party mappings):
 * the modification time in UTC Unix seconds, exact where the DOS fields are
 * clamped or two-second grained. The same bytes serve the local and central
 * headers because only the modification time is written.
 */
export function extendedTimestampExtra(unixSeconds: number): Uint8Array {
  return recordBytes(
    EXTRA_FIELD_HEADER_LENGTH + EXTENDED_TIMESTAMP_DATA_LENGTH,
    (writer) =>
      writer
        .uint16(EXTENDED_TIMESTAMP_EXTRA_ID) // header ID
        .uint16(EXTENDED_TIMESTAMP_DATA_LENGTH) // data size
        .uint8(EXTENDED_TIMESTAMP_MTIME_FLAG) // flags: modification time present
        .int32(unixSeconds), // modification time
  );
}
