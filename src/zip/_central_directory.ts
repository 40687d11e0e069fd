/**
 * The central directory as it grows: headers written straight into large
 * blocks, back to back, so an entry costs the bytes of its header and
 * nothing more.
 *
 * @module
 */

import { ByteWriter } from "./_byte_writer.ts";
import {
  centralDirectoryHeaderLength,
  writeCentralDirectoryHeader,
} from "./_central_directory_header.ts";
import type { EntryFields } from "./_entry_fields.ts";

const BLOCK_SIZE = 64 * 1024;
/** Blocks start small and double up to BLOCK_SIZE: most archives are small. */
const FIRST_BLOCK_SIZE = 4 * 1024;
const NO_BLOCK = new Uint8Array(0);

/** Collects central directory headers until the archive ends. */
export class CentralDirectory {
  #blocks: Uint8Array[] = [];
  // Allocated when the first header arrives: small archives stay cheap.
  #current = NO_BLOCK;
  #used = 0;
  #nextBlockSize = FIRST_BLOCK_SIZE;
  #writer = new ByteWriter();
  #size = 0;
  #entryCount = 0;

  /** Number of headers added. */
  get entryCount(): number {
    return this.#entryCount;
  }

  /** Total size of the headers added, in bytes. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends the central directory header of one entry (see
   * `writeCentralDirectoryHeader`).
   */
  add(
    fields: EntryFields,
    crc32: number,
    compressedSize: number,
    size: number,
    localHeaderOffset: number,
    localZip64: boolean,
  ): void {
    const length = centralDirectoryHeaderLength(
      fields,
      compressedSize,
      size,
      localHeaderOffset,
    );
    // A header never straddles two blocks, so it is written in place; the
    // few bytes this leaves at the end of a block are never handed on.
    if (this.#used + length > this.#current.length) {
      if (this.#used > 0) {
        this.#blocks.push(this.#current.subarray(0, this.#used));
      }
      this.#current = new Uint8Array(Math.max(this.#nextBlockSize, length));
      this.#nextBlockSize = Math.min(this.#nextBlockSize * 2, BLOCK_SIZE);
      this.#used = 0;
    }
    const writer = this.#writer.moveTo(this.#current, this.#used);
    writeCentralDirectoryHeader(
      writer,
      fields,
      crc32,
      compressedSize,
      size,
      localHeaderOffset,
      localZip64,
    );
    writer.checkRecord(this.#used, length);
    this.#used += length;
    this.#size += length;
    this.#entryCount++;
  }

  /** Hands over the headers as chunks, emptying the directory. */
  take(): Uint8Array[] {
    const chunks = this.#blocks;
    if (this.#used > 0) chunks.push(this.#current.subarray(0, this.#used));
    this.#blocks = [];
    this.#current = NO_BLOCK;
    this.#used = 0;
    return chunks;
  }
}
