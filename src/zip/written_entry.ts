/**
 * What an archive records of each entry once written, and how a later run
 * uses those records to resume.
 *
 * @module
 */

/**
 * An entry as the central directory records it: where its local header
 * starts and the CRC and sizes its data turned out to have. `zip()` reports
 * one per entry through `ZipOptions.onEntry`; handed back through
 * `ZipOptions.resume`, it lets a later run skip the entry's data.
 */
export interface WrittenEntry {
  /** The entry's name. */
  readonly name: string;
  /** Offset of the entry's local header from the start of the archive. */
  readonly offset: number;
  /** Offset just past the entry's last byte (data, and descriptor if any). */
  readonly end: number;
  /** CRC-32 of the uncompressed data. */
  readonly crc32: number;
  /** Uncompressed size in bytes. */
  readonly size: number;
  /** Size of the data as stored in the archive. */
  readonly compressedSize: number;
}

/**
 * Where to resume an archive whose first bytes were already delivered (for
 * instance, the completed parts of an interrupted upload).
 */
export interface ResumePoint {
  /** The archive byte the output starts at; the bytes before it are not emitted. */
  readonly offset: number;
  /**
   * Records of entries written by the earlier run. An entry that ends before
   * `offset` and has a record here is not read at all: its source is
   * cancelled unread and its central directory header is rebuilt from the
   * record. Entries without a record are read again, and only their bytes
   * from `offset` on are emitted.
   *
   * @default {[]}
   */
  readonly entries?: Iterable<WrittenEntry>;
}
