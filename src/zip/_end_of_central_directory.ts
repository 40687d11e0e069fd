/**
 * The records that close an archive: ZIP64 end of central directory record
 * (APPNOTE 4.3.14), its locator (4.3.15) and the end of central directory
 * record (4.3.16).
 *
 * @module
 */

import { recordBytes } from "./_byte_writer.ts";
import {
  END_OF_CENTRAL_DIRECTORY_LENGTH,
  END_OF_CENTRAL_DIRECTORY_SIGNATURE,
  UINT16_MAX,
  UINT32_MAX,
  VERSION_MADE_BY,
  VERSION_NEEDED_ZIP64,
  ZIP64_END_OF_CENTRAL_DIRECTORY_LEADING_LENGTH,
  ZIP64_END_OF_CENTRAL_DIRECTORY_LENGTH,
  ZIP64_END_OF_CENTRAL_DIRECTORY_LOCATOR_LENGTH,
  ZIP64_END_OF_CENTRAL_DIRECTORY_LOCATOR_SIGNATURE,
  ZIP64_END_OF_CENTRAL_DIRECTORY_SIGNATURE,
} from "./_constants.ts";

/** Where the central directory is and how many entries it holds. */
export interface CentralDirectoryExtent {
  /** Number of entries. */
  readonly entryCount: number;
  /** Size of the central directory in bytes. */
  readonly size: number;
  /** Offset of the central directory from the start of the archive. */
  readonly offset: number;
}

/** ZIP64 end of central directory record (4.3.14), version 1, no extensible data. */
export function zip64EndOfCentralDirectory(
  extent: CentralDirectoryExtent,
): Uint8Array {
  return recordBytes(ZIP64_END_OF_CENTRAL_DIRECTORY_LENGTH, (writer) =>
    writer
      .uint32(ZIP64_END_OF_CENTRAL_DIRECTORY_SIGNATURE) // zip64 end of central dir signature
      .uint64(
        ZIP64_END_OF_CENTRAL_DIRECTORY_LENGTH -
          ZIP64_END_OF_CENTRAL_DIRECTORY_LEADING_LENGTH,
      ) // size of zip64 end of central directory record
      .uint16(VERSION_MADE_BY) // version made by
      .uint16(VERSION_NEEDED_ZIP64) // version needed to extract
      .uint32(0) // number of this disk
      .uint32(0) // number of the disk with the start of the central directory
      .uint64(extent.entryCount) // total number of entries in the central directory on this disk
      .uint64(extent.entryCount) // total number of entries in the central directory
      .uint64(extent.size) // size of the central directory
      .uint64(extent.offset) // offset of start of central directory
  );
}

/** ZIP64 end of central directory locator (4.3.15). */
export function zip64EndOfCentralDirectoryLocator(
  zip64EndOffset: number,
): Uint8Array {
  return recordBytes(
    ZIP64_END_OF_CENTRAL_DIRECTORY_LOCATOR_LENGTH,
    (writer) =>
      writer
        .uint32(ZIP64_END_OF_CENTRAL_DIRECTORY_LOCATOR_SIGNATURE) // zip64 end of central dir locator signature
        .uint32(0) // number of the disk with the start of the zip64 end of central directory
        .uint64(zip64EndOffset) // relative offset of the zip64 end of central directory record
        .uint32(1), // total number of disks
  );
}

/**
 * End of central directory record (4.3.16). A field that overflows holds its
 * maximum, which sends readers to the ZIP64 record; the others keep their
 * values for readers that never look there.
 */
export function endOfCentralDirectory(
  extent: CentralDirectoryExtent,
  commentBytes: Uint8Array,
): Uint8Array {
  const entryCount = Math.min(extent.entryCount, UINT16_MAX);
  return recordBytes(
    END_OF_CENTRAL_DIRECTORY_LENGTH + commentBytes.length,
    (writer) =>
      writer
        .uint32(END_OF_CENTRAL_DIRECTORY_SIGNATURE) // end of central dir signature
        .uint16(0) // number of this disk
        .uint16(0) // number of the disk with the start of the central directory
        .uint16(entryCount) // total number of entries in the central directory on this disk
        .uint16(entryCount) // total number of entries in the central directory
        .uint32(Math.min(extent.size, UINT32_MAX)) // size of the central directory
        .uint32(Math.min(extent.offset, UINT32_MAX)) // offset of start of central directory
        .uint16(commentBytes.length) // .ZIP file comment length
        .raw(commentBytes), // .ZIP file comment
  );
}

/** Whether the archive needs the ZIP64 end records (4.4.1.4). */
export function needsZip64End(extent: CentralDirectoryExtent): boolean {
  return extent.entryCount >= UINT16_MAX || extent.size >= UINT32_MAX ||
    extent.offset >= UINT32_MAX;
}

/** The length of all the bytes after the central directory (see `endRecords`). */
export function endRecordsLength(
  extent: CentralDirectoryExtent,
  commentBytes: Uint8Array,
): number {
  const end = END_OF_CENTRAL_DIRECTORY_LENGTH + commentBytes.length;
  if (!needsZip64End(extent)) return end;
  return ZIP64_END_OF_CENTRAL_DIRECTORY_LENGTH +
    ZIP64_END_OF_CENTRAL_DIRECTORY_LOCATOR_LENGTH + end;
}

/**
 * All the bytes after the central directory: the ZIP64 record and locator
 * when something overflows, then the classic record.
 */
export function endRecords(
  extent: CentralDirectoryExtent,
  commentBytes: Uint8Array,
): Uint8Array[] {
  const end = endOfCentralDirectory(extent, commentBytes);
  if (!needsZip64End(extent)) return [end];
  const zip64EndOffset = extent.offset + extent.size;
  return [
    zip64EndOfCentralDirectory(extent),
    zip64EndOfCentralDirectoryLocator(zip64EndOffset),
    end,
  ];
}
