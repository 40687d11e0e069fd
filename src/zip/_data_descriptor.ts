/**
 * Data descriptor (APPNOTE 4.3.9).
 *
 * @module
 */

import type { ByteWriter } from "./_byte_writer.ts";
import {
  DATA_DESCRIPTOR_LENGTH,
  DATA_DESCRIPTOR_SIGNATURE,
  DATA_DESCRIPTOR_ZIP64_LENGTH,
} from "./_constants.ts";

/** The length of a data descriptor, with or without ZIP64 sizes. */
export function dataDescriptorRecordLength(zip64: boolean): number {
  return zip64 ? DATA_DESCRIPTOR_ZIP64_LENGTH : DATA_DESCRIPTOR_LENGTH;
}

/**
 * Writes the record after an entry's data that gives its CRC and sizes, for
 * entries whose local header could not. The optional signature is always
 * written: streaming readers such as bsdtar find the end of stored data by
 * it. Sizes are 8 bytes when the local header carried a ZIP64 extra field
 * (4.3.9.2).
 */
export function writeDataDescriptor(
  writer: ByteWriter,
  crc32: number,
  compressedSize: number,
  size: number,
  zip64: boolean,
): void {
  writer
    .uint32(DATA_DESCRIPTOR_SIGNATURE) // data descriptor signature
    .uint32(crc32); // crc-32
  if (zip64) {
    writer
      .uint64(compressedSize) // compressed size
      .uint64(size); // uncompressed size
  } else {
    writer
      .uint32(compressedSize) // compressed size
      .uint32(size); // uncompressed size
  }
}
