/**
 * Raw deflate (RFC 1951), the only compression method zipstream writes
 * besides store: through the runtime's native zlib where there is one (Deno,
 * Node, Bun), through pako elsewhere (browsers).
 *
 * @module
 */

import { Deflate, deflateRaw } from "pako";

/** An incremental compressor: feed chunks, collect output, finish once. */
export interface Deflater {
  /** Compresses a chunk; returns the output it produced (possibly none). */
  push(chunk: Uint8Array): Uint8Array[];
  /** Flushes the end of the stream. */
  finish(): Uint8Array[];
}

/** The part of `node:zlib` the native engine uses. */
export interface NativeZlib {
  deflateRawSync(
    data: Uint8Array,
    options: { level: number; finishFlush?: number },
  ): Uint8Array;
  constants: { Z_SYNC_FLUSH: number };
}

/**
 * The runtime's zlib, found without importing `node:` modules so that this
 * file still loads in browsers and workers.
 */
function findNativeZlib(): NativeZlib | undefined {
  const runtime = globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
  };
  try {
    const zlib = runtime.process?.getBuiltinModule?.("node:zlib") as
      | Partial<NativeZlib>
      | undefined;
    return typeof zlib?.deflateRawSync === "function" &&
        zlib.constants !== undefined
      ? zlib as NativeZlib
      : undefined;
  } catch {
    return undefined;
  }
}

const nativeZlib = findNativeZlib();

/**
 * Deno's native deflate writes level 1 output 27 % larger than zlib's level 1
 * and level 9 output 2 % larger than its own level 8, while its level 2 is
 * both faster and smaller than zlib's level 1 (bench/deflate_bench.ts). These
 * levels are mapped so that every level compresses at least as well as zlib.
 */
const NATIVE_LEVELS: readonly number[] = [0, 2, 2, 3, 4, 5, 6, 7, 8, 8];

/**
 * Streams are compressed in independent blocks of this much input, each
 * ended with a sync flush so the blocks join into one deflate stream. The
 * cost is the dictionary lost at each boundary, about 0.1 % at 1 MiB; the
 * gain is output that does not depend on the source's chunking.
 */
const INPUT_BLOCK_SIZE = 1024 * 1024;

/** pako's output chunks: large enough to keep per-chunk costs small. */
const PAKO_OUTPUT_CHUNK_SIZE = 64 * 1024;

/** Creates an incremental raw-deflate compressor at `level`. */
export function createDeflater(level: number): Deflater {
  return nativeZlib === undefined
    ? pakoDeflater(level)
    : nativeDeflater(nativeZlib, NATIVE_LEVELS[level]!);
}

/** Compresses bytes that are all in memory at once. */
export function deflateBytes(data: Uint8Array, level: number): Uint8Array {
  return nativeZlib === undefined
    ? deflateRaw(data, { level })
    : nativeZlib.deflateRawSync(data, { level: NATIVE_LEVELS[level]! });
}

/** Collects input into fixed blocks, whatever the chunking it arrives in. */
function blockCollector(
  onBlock: (block: Uint8Array) => Uint8Array[],
): { push(chunk: Uint8Array): Uint8Array[]; rest(): Uint8Array } {
  let block = new Uint8Array(INPUT_BLOCK_SIZE);
  let used = 0;
  return {
    push(chunk) {
      const output: Uint8Array[] = [];
      let offset = 0;
      while (offset < chunk.length) {
        const count = Math.min(chunk.length - offset, block.length - used);
        block.set(chunk.subarray(offset, offset + count), used);
        used += count;
        offset += count;
        if (used === block.length) {
          output.push(...onBlock(block));
          block = new Uint8Array(INPUT_BLOCK_SIZE);
          used = 0;
        }
      }
      return output;
    },
    rest() {
      return block.subarray(0, used);
    },
  };
}

/** The native engine; exported for tests that compare the engines. */
export function nativeDeflater(zlib: NativeZlib, level: number): Deflater {
  const flushed = { level, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  const blocks = blockCollector((
    block,
  ) => [zlib.deflateRawSync(block, flushed)]);
  return {
    push: (chunk) => blocks.push(chunk),
    finish: () => [zlib.deflateRawSync(blocks.rest(), { level })],
  };
}

/** The portable engine; exported for tests that compare the engines. */
export function pakoDeflater(level: number): Deflater {
  const deflate = new Deflate({
    raw: true,
    level,
    chunkSize: PAKO_OUTPUT_CHUNK_SIZE,
  });
  let output: Uint8Array[] = [];
  deflate.onData = (chunk: Uint8Array) => {
    output.push(chunk);
  };
  const take = (): Uint8Array[] => {
    if (deflate.err) {
      throw new Error(`Cannot compress: deflate failed with ${deflate.msg}`);
    }
    const taken = output;
    output = [];
    return taken;
  };
  const blocks = blockCollector((block) => {
    deflate.push(block, false);
    return take();
  });
  return {
    push: (chunk) => blocks.push(chunk),
    finish() {
      deflate.push(blocks.rest(), true);
      return take();
    },
  };
}

/**
 * An upper bound on the raw-deflate size of `size` bytes, for deciding ahead
 * of time whether a compressed size might overflow 32 bits. Generous on
 * purpose: deflate's worst case is stored blocks, 5 bytes per block, plus a
 * sync flush per input block; a bound that is too high only costs an
 * unneeded ZIP64 extra field.
 */
export function deflateBound(size: number): number {
  const STORED_BLOCK_OVERHEAD = 5;
  const SMALLEST_BLOCK = 1024;
  const FINAL_OVERHEAD = 64;
  return size + STORED_BLOCK_OVERHEAD * Math.ceil(size / SMALLEST_BLOCK) +
    FINAL_OVERHEAD;
}
