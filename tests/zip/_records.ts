/**
 * ZIP records as arrays of their own, for golden-bytes tests: the writer
 * writes them in place, through the same functions.
 *
 * @module
 */

import { recordBytes } from "../../src/zip/_byte_writer.ts";
import {
  centralDirectoryHeaderLength,
  writeCentralDirectoryHeader,
} from "../../src/zip/_central_directory_header.ts";
import {
  dataDescriptorRecordLength,
  writeDataDescriptor,
} from "../../src/zip/_data_descriptor.ts";
import type { EntryFields } from "../../src/zip/_entry_fields.ts";
import {
  writeZip64Extra,
  zip64ExtraLength,
} from "../../src/zip/_extra_fields.ts";
import {
  localFileHeaderLength,
  writeLocalFileHeader,
} from "../../src/zip/_local_file_header.ts";

/** The local file header `writeLocalFileHeader` writes. */
export function localFileHeader(
  fields: EntryFields,
  crc32: number,
  compressedSize: number,
  size: number,
  zip64: boolean,
): Uint8Array {
  return recordBytes(
    localFileHeaderLength(fields, zip64),
    (writer) =>
      writeLocalFileHeader(writer, fields, crc32, compressedSize, size, zip64),
  );
}

/** The data descriptor `writeDataDescriptor` writes. */
export function dataDescriptor(
  crc32: number,
  compressedSize: number,
  size: number,
  zip64: boolean,
): Uint8Array {
  return recordBytes(
    dataDescriptorRecordLength(zip64),
    (writer) => writeDataDescriptor(writer, crc32, compressedSize, size, zip64),
  );
}

/** The central directory header `writeCentralDirectoryHeader` writes. */
export function centralDirectoryHeader(
  fields: EntryFields,
  crc32: number,
  compressedSize: number,
  size: number,
  localHeaderOffset: number,
  localZip64: boolean,
): Uint8Array {
  return recordBytes(
    centralDirectoryHeaderLength(
      fields,
      compressedSize,
      size,
      localHeaderOffset,
    ),
    (writer) =>
      writeCentralDirectoryHeader(
        writer,
        fields,
        crc32,
        compressedSize,
        size,
        localHeaderOffset,
        localZip64,
      ),
  );
}

/** The ZIP64 extended information extra field `writeZip64Extra` writes. */
export function zip64Extra(values: readonly number[]): Uint8Array {
  return recordBytes(
    zip64ExtraLength(values.length),
    (writer) => writeZip64Extra(writer, values),
  );
}
