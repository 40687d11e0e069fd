/**
 * The extra fields zipstream writes (APPNOTE 4.5): ZIP64 extended information
 * and Info-ZIP's extended timestamp.
 *
 * @module
 */

import { ByteWriter } from "./_byte_writer.ts";
import {
  EXTENDED_TIMESTAMP_DATA_LENGTH,
  EXTENDED_TIMESTAMP_EXTRA_ID,
  EXTENDED_TIMESTAMP_MTIME_FLAG,
  EXTRA_FIELD_HEADER_LENGTH,
  ZIP64_EXTRA_ID,
} from "./_constants.ts";

const UINT64_LENGTH = 8;

/**
 * ZIP64 extended information extra field (4.5.3): the 64-bit values of the
 * header fields that overflowed, in the order uncompressed size, compressed
 * size, local header offset, each present only when its field holds 0xFFFFFFFF.
 */
export function zip64Extra(values: readonly number[]): Uint8Array {
  const dataLength = values.length * UINT64_LENGTH;
  const writer = new ByteWriter(EXTRA_FIELD_HEADER_LENGTH + dataLength)
    .uint16(ZIP64_EXTRA_ID) // header ID
    .uint16(dataLength); // data size
  for (const value of values) writer.uint64(value);
  return writer.done();
}

/**
 * Extended timestamp extra field (Info-ZIP "UT", 4.6 third-party mappings):
 * the modification time in UTC Unix seconds, exact where the DOS fields are
 * clamped or two-second grained. The same bytes serve the local and central
 * headers because only the modification time is written.
 */
export function extendedTimestampExtra(unixSeconds: number): Uint8Array {
  return new ByteWriter(
    EXTRA_FIELD_HEADER_LENGTH + EXTENDED_TIMESTAMP_DATA_LENGTH,
  )
    .uint16(EXTENDED_TIMESTAMP_EXTRA_ID) // header ID
    .uint16(EXTENDED_TIMESTAMP_DATA_LENGTH) // data size
    .uint8(EXTENDED_TIMESTAMP_MTIME_FLAG) // flags: modification time present
    .int32(unixSeconds) // modification time
    .done();
}
