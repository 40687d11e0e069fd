/**
 * The central directory as it grows: headers written straight into large
 * blocks, back to back, so an entry costs the bytes of its header and
 * where it starts. It is also where the writer's duplicate-name check
 * finds the names it has seen.
 *
 * @module
 */

import {
  type ByteStringHash,
  type ByteStrings,
  sameBytes,
} from "./_byte_string_set.ts";
import { ByteWriter } from "./_byte_writer.ts";
import {
  centralDirectoryHeaderLength,
  writeCentralDirectoryHeader,
} from "./_central_directory_header.ts";
import { CENTRAL_DIRECTORY_HEADER_LENGTH } from "./_constants.ts";
import type { EntryFields } from "./_entry_fields.ts";
import { nameKeyLength } from "./_entry_name.ts";

const BLOCK_SIZE = 64 * 1024;
/** Blocks start small and double up to BLOCK_SIZE: most archives are small. */
const FIRST_BLOCK_SIZE = 4 * 1024;
const NO_BLOCK = new Uint8Array(0);
/** Where "file name length" sits in a central directory header (4.3.12). */
const NAME_LENGTH_OFFSET = 28;
const BYTE_BITS = 8;
const INITIAL_HEADERS = 64;

/**
 * Collects central directory headers until the archive ends. As
 * `ByteStrings`, string `i` is the name key (see `nameKeyLength`) of the
 * `i`-th header, until `take()`.
 */
export class CentralDirectory implements ByteStrings {
  // Finished blocks, trimmed to their headers; the current block comes next.
  #blocks: Uint8Array[] = [];
  // Allocated when the first header arrives: small archives stay cheap.
  #current = NO_BLOCK;
  #used = 0;
  #nextBlockSize = FIRST_BLOCK_SIZE;
  #writer = new ByteWriter();
  #size = 0;
  #entryCount = 0;
  // For header i: the index of its block in #blocks (the current block is
  // #blocks.length) and where it starts in that block.
  #headerBlocks = new Uint32Array(INITIAL_HEADERS);
  #headerStarts = new Uint32Array(INITIAL_HEADERS);

  /** Number of headers added (also what `ByteStrings` asks). */
  get count(): number {
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
    if (this.#entryCount === this.#headerStarts.length) this.#growHeaders();
    this.#headerBlocks[this.#entryCount] = this.#blocks.length;
    this.#headerStarts[this.#entryCount] = this.#used;
    this.#used += length;
    this.#size += length;
    this.#entryCount++;
  }

  /** Whether the name key of header `index` is the first `length` bytes of `bytes`. */
  equals(index: number, bytes: Uint8Array, length: number): boolean {
    const block = this.#blockOf(index);
    const start = this.#headerStarts[index]! + CENTRAL_DIRECTORY_HEADER_LENGTH;
    return this.#keyLength(block, index) === length &&
      sameBytes(block, start, bytes, length);
  }

  /** The name key of header `index`, hashed with `hash`. */
  hash(index: number, hash: ByteStringHash): number {
    const block = this.#blockOf(index);
    const start = this.#headerStarts[index]! + CENTRAL_DIRECTORY_HEADER_LENGTH;
    return hash(block, start, start + this.#keyLength(block, index));
  }

  #blockOf(index: number): Uint8Array {
    const blockIndex = this.#headerBlocks[index]!;
    return blockIndex < this.#blocks.length
      ? this.#blocks[blockIndex]!
      : this.#current;
  }

  #keyLength(block: Uint8Array, index: number): number {
    const header = this.#headerStarts[index]!;
    const nameLength = block[header + NAME_LENGTH_OFFSET]! |
      (block[header + NAME_LENGTH_OFFSET + 1]! << BYTE_BITS);
    return nameKeyLength(
      block,
      header + CENTRAL_DIRECTORY_HEADER_LENGTH,
      nameLength,
    );
  }

  #growHeaders(): void {
    const blocks = new Uint32Array(this.#headerBlocks.length * 2);
    blocks.set(this.#headerBlocks);
    this.#headerBlocks = blocks;
    const starts = new Uint32Array(this.#headerStarts.length * 2);
    starts.set(this.#headerStarts);
    this.#headerStarts = starts;
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
