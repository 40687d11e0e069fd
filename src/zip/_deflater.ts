/**
 * Raw deflate (RFC 1951), the only compression method zipstream writes
 * besides store.
 *
 * @module
 */

import { Deflate, deflateRaw } from "pako";

/** Output chunks this large keep per-chunk costs small without holding much memory. */
const OUTPUT_CHUNK_SIZE = 64 * 1024;

/** An incremental compressor: feed chunks, collect output, finish once. */
export interface Deflater {
  /** Compresses a chunk; returns the output it produced (possibly none). */
  push(chunk: Uint8Array): Uint8Array[];
  /** Flushes the end of the stream. */
  finish(): Uint8Array[];
}

/**
 * Input is fed to the compressor in blocks of this size whatever the source's
 * chunking, so that the same bytes always compress to the same output.
 */
const INPUT_BLOCK_SIZE = 64 * 1024;

/** Creates an incremental raw-deflate compressor at `level`. */
export function createDeflater(level: number): Deflater {
  const deflate = new Deflate({
    raw: true,
    level,
    chunkSize: OUTPUT_CHUNK_SIZE,
  });
  const block = new Uint8Array(INPUT_BLOCK_SIZE);
  let used = 0;
  let output: Uint8Array[] = [];
  deflate.onData = (chunk: Uint8Array) => {
    output.push(chunk);
  };
  const take = (): Uint8Array[] => {
    const taken = output;
    output = [];
    if (deflate.err) {
      throw new Error(`Cannot compress: deflate failed with ${deflate.msg}`);
    }
    return taken;
  };
  return {
    push(chunk) {
      let offset = 0;
      while (offset < chunk.length) {
        const count = Math.min(chunk.length - offset, block.length - used);
        block.set(chunk.subarray(offset, offset + count), used);
        used += count;
        offset += count;
        if (used === block.length) {
          deflate.push(block, false);
          used = 0;
        }
      }
      return take();
    },
    finish() {
      deflate.push(block.subarray(0, used), true);
      used = 0;
      return take();
    },
  };
}

/** Compresses bytes that are all in memory at once. */
export function deflateBytes(data: Uint8Array, level: number): Uint8Array {
  return deflateRaw(data, { level });
}

/**
 * An upper bound on the raw-deflate size of `size` bytes, for deciding ahead
 * of time whether a compressed size might overflow 32 bits. Generous on
 * purpose: deflate's worst case is stored blocks, 5 bytes per block, and a
 * bound that is too high only costs an unneeded ZIP64 extra field.
 */
export function deflateBound(size: number): number {
  const STORED_BLOCK_OVERHEAD = 5;
  const SMALLEST_BLOCK = 1024;
  const FINAL_OVERHEAD = 64;
  return size + STORED_BLOCK_OVERHEAD * Math.ceil(size / SMALLEST_BLOCK) +
    FINAL_OVERHEAD;
}
