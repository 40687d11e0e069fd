/**
 * The archive's bytes between the writer and its reader: records written in
 * place, small pieces packed into blocks, the caller's bytes copied, and
 * everything before a resume offset counted but dropped.
 *
 * @module
 */

import { ByteWriter } from "./_byte_writer.ts";

/** Output is handed on in batches of about this many bytes. */
export const OUTPUT_BLOCK_SIZE = 64 * 1024;
/** Pieces this large are queued on their own; smaller ones are packed together. */
const PASS_THROUGH_SIZE = 16 * 1024;
/**
 * Blocks start at the smallest size that holds any packed piece and double
 * up to OUTPUT_BLOCK_SIZE: most archives are small, and zeroing 64 KiB for
 * a few entries was most of their cost.
 */
const FIRST_BLOCK_SIZE = PASS_THROUGH_SIZE;
/** A block holding at most this much when a large piece passes is copied out and kept. */
const KEPT_BLOCK_FILL = 4 * 1024;
/**
 * Large pieces of the caller's bytes are copied into slabs of this size, one
 * allocation for many chunks: a fresh array per chunk cost more than the
 * copy itself.
 */
export const SLAB_SIZE = 1024 * 1024;

const NO_BLOCK = new Uint8Array(0);

/** Queues archive bytes in order and hands them on in batches. */
export class OutputQueue {
  #resumeOffset: number;
  #offset = 0;
  #ready: Uint8Array[] = [];
  #readyBytes = 0;
  // Allocated when small output first arrives; a handed-on block is not
  // written again (see #flushBlock).
  #block = NO_BLOCK;
  #blockUsed = 0;
  #nextBlockSize = FIRST_BLOCK_SIZE;
  // Copies of the caller's large chunks; a slab's handed-on part is never
  // written again.
  #slab = NO_BLOCK;
  #slabUsed = 0;
  // Writes records in place: into the output block, or a record's own array.
  #recordWriter = new ByteWriter();
  #recordStart = 0;
  #recordLength = 0;

  /** @param resumeOffset The first archive byte to hand on. */
  constructor(resumeOffset: number) {
    this.#resumeOffset = resumeOffset;
  }

  /** The archive offset of the next byte queued. */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes queued and not yet handed on. */
  get readyBytes(): number {
    return this.#readyBytes;
  }

  /** Whether a batch's worth is queued: hand it on before pulling more input. */
  get full(): boolean {
    return this.#readyBytes >= OUTPUT_BLOCK_SIZE;
  }

  /**
   * Counts bytes an earlier run already wrote, without queuing anything: the
   * offset moves to `offset`, which must lie before the resume offset.
   */
  skipTo(offset: number): void {
    this.#offset = offset;
  }

  /**
   * Starts a record of `length` bytes and returns the writer to write it
   * with; `endRecord()` queues it. A record is written straight into the
   * output block, unless the resume offset cuts it or it is too large to
   * pack: then it gets an array of its own, which `emit` trims.
   */
  beginRecord(length: number): ByteWriter {
    this.#recordLength = length;
    if (this.#offset >= this.#resumeOffset && length < PASS_THROUGH_SIZE) {
      this.#makeRoom(length);
      this.#recordStart = this.#blockUsed;
      return this.#recordWriter.moveTo(this.#block, this.#blockUsed);
    }
    this.#recordStart = 0;
    return this.#recordWriter.moveTo(new Uint8Array(length), 0);
  }

  /** Queues the record begun with `beginRecord()`, checking its length. */
  endRecord(): void {
    const writer = this.#recordWriter;
    const length = this.#recordLength;
    writer.checkRecord(this.#recordStart, length);
    if (writer.bytes !== this.#block) {
      this.emit(writer.bytes);
      return;
    }
    this.#offset += length;
    this.#readyBytes += length;
    this.#blockUsed += length;
  }

  /**
   * Queues bytes this engine made and will not touch again (compressed
   * output, directory blocks): large ones by reference.
   */
  emit(archiveBytes: Uint8Array): void {
    const bytes = this.#unskipped(archiveBytes);
    if (bytes === undefined) return;
    if (bytes.length >= PASS_THROUGH_SIZE) {
      this.#flushBlock(true);
      this.#ready.push(bytes);
    } else {
      this.#pack(bytes);
    }
  }

  /**
   * Queues a copy of the caller's bytes. They are never queued by reference:
   * a source may refill the same buffer for its next chunk, and the reader
   * of the archive may hold a chunk (a file's `pipeTo` reads ahead) when the
   * writer pulls the next one.
   */
  copy(archiveBytes: Uint8Array): void {
    const bytes = this.#unskipped(archiveBytes);
    if (bytes === undefined) return;
    if (bytes.length < PASS_THROUGH_SIZE) {
      this.#pack(bytes);
      return;
    }
    this.#flushBlock(true);
    if (this.#slabUsed + bytes.length > this.#slab.length) {
      this.#slab = new Uint8Array(Math.max(SLAB_SIZE, bytes.length));
      this.#slabUsed = 0;
    }
    const copy = this.#slab.subarray(
      this.#slabUsed,
      this.#slabUsed + bytes.length,
    );
    copy.set(bytes);
    this.#slabUsed += bytes.length;
    this.#ready.push(copy);
  }

  /**
   * Hands on the queued output. A block still filling stays behind when
   * there is other output to hand on, unless `final`: handing it on now
   * would leave most of a fresh 64 KiB block unused, and a new one allocated
   * for the next entry.
   */
  take(final = false): Uint8Array[] {
    if (final || this.#ready.length === 0) this.#flushBlock();
    const ready = this.#ready;
    this.#ready = [];
    this.#readyBytes = this.#blockUsed;
    return ready;
  }

  /** Advances the offset past `bytes` and returns the part at or after the resume offset. */
  #unskipped(bytes: Uint8Array): Uint8Array | undefined {
    const start = this.#offset;
    this.#offset += bytes.length;
    const skipped = this.#resumeOffset - start;
    if (skipped >= bytes.length) return undefined;
    const kept = skipped > 0 ? bytes.subarray(skipped) : bytes;
    this.#readyBytes += kept.length;
    return kept;
  }

  #pack(bytes: Uint8Array): void {
    this.#makeRoom(bytes.length);
    this.#block.set(bytes, this.#blockUsed);
    this.#blockUsed += bytes.length;
  }

  /** Makes sure the output block has room for `length` more bytes. */
  #makeRoom(length: number): void {
    if (this.#blockUsed + length > this.#block.length) {
      this.#flushBlock();
      this.#block = new Uint8Array(this.#nextBlockSize);
      this.#nextBlockSize = Math.min(
        this.#nextBlockSize * 2,
        OUTPUT_BLOCK_SIZE,
      );
    }
  }

  /**
   * Queues the bytes of the output block. With `keep`, a block holding only
   * a little (a streamed entry's header, before its data passes through) is
   * copied out and written on from its start: handing it on would cost a
   * fresh 64 KiB block per entry. A block handed on is never written again.
   */
  #flushBlock(keep = false): void {
    if (this.#blockUsed === 0) return;
    if (keep && this.#blockUsed <= KEPT_BLOCK_FILL) {
      this.#ready.push(this.#block.slice(0, this.#blockUsed));
      this.#blockUsed = 0;
      return;
    }
    this.#ready.push(this.#block.subarray(0, this.#blockUsed));
    this.#block = NO_BLOCK;
    this.#blockUsed = 0;
  }
}
