/**
 * The portable deflate engine, on pako, for runtimes without a native zlib
 * (browsers). One compressor state per level is kept and reset between
 * blocks: a fresh state allocates and clears about 256 KiB, which costs far
 * more than compressing a small entry (bench/README.md, "pako per entry").
 * zlib defines a reset state as equal to a fresh one, so the bytes are the
 * same as pako's own `deflateRaw`.
 *
 * @module
 */

import {
  Z_BUF_ERROR,
  Z_DEFAULT_STRATEGY,
  Z_FINISH,
  Z_OK,
  Z_STREAM_END,
  Z_SYNC_FLUSH,
  zlibDeflate,
  zlibDeflateInit2,
  zlibDeflateReset,
  ZStream,
} from "pako";
import type { DeflateEngine } from "./_deflate_engine.ts";

/** Negative window bits: raw deflate, no zlib header or trailer. */
const RAW_WINDOW_BITS = -15;
const MEMORY_LEVEL = 8;
const DEFLATED = 8;
/**
 * The largest output buffer of a block and of a whole stream; smaller inputs
 * get one their own size. At level 0 the output buffer's size decides where
 * stored blocks end, so these stay what the engine has always used (the
 * whole-stream size is pako's default) to keep the bytes the same.
 */
const BLOCK_OUTPUT_SIZE = 64 * 1024;
const STREAM_OUTPUT_SIZE = 16 * 1024;

/** The compressor state of each level, made the first time it is used. */
const streams: (ZStream | undefined)[] = [];
/**
 * How much of each level's window and hash chains its last block wrote: only
 * that part needs clearing for the next one.
 */
const used: number[] = [];
/** What the match finder may read past the input: the longest match. */
const MAX_MATCH = 258;

/** The parts of pako's internal state that a reset leaves as they were. */
interface DeflateMemory {
  window: Uint8Array;
  prev: Uint16Array;
}

function streamFor(level: number, inputLength: number): ZStream {
  let stream = streams[level];
  if (stream === undefined) {
    stream = new ZStream();
    const status = zlibDeflateInit2(
      stream,
      level,
      DEFLATED,
      RAW_WINDOW_BITS,
      MEMORY_LEVEL,
      Z_DEFAULT_STRATEGY,
    );
    if (status !== Z_OK) {
      throw new Error(
        `Cannot start deflate at level ${level}: expected status ${Z_OK} from pako but received ${status}`,
      );
    }
    streams[level] = stream;
  } else {
    zlibDeflateReset(stream);
    // The match finder compares bytes past the end of the input, then
    // clamps the match to it: stale bytes of the previous block left there
    // may pick another, equally long match. Cleared, the output is a fresh
    // state's, byte for byte.
    const memory = stream.state as DeflateMemory;
    const dirty = used[level]!;
    memory.window.fill(0, 0, Math.min(memory.window.length, dirty + MAX_MATCH));
    memory.prev.fill(0, 0, Math.min(memory.prev.length, dirty));
  }
  used[level] = inputLength;
  return stream;
}

/**
 * Compresses `input` as a whole stream (`Z_FINISH`) or as a block ended with
 * a sync flush, from an empty dictionary.
 */
function deflateRawWith(
  input: Uint8Array,
  level: number,
  flush: typeof Z_FINISH | typeof Z_SYNC_FLUSH,
  outputSize: number,
): Uint8Array {
  const stream = streamFor(level, input.length);
  stream.input = input;
  stream.next_in = 0;
  stream.avail_in = input.length;
  // Room for incompressible input in stored blocks plus the flush marker,
  // so that a small block needs one call and no copy.
  const size = Math.min(outputSize, input.length + 64);
  const chunks: Uint8Array[] = [];
  for (;;) {
    stream.output = new Uint8Array(size);
    stream.next_out = 0;
    stream.avail_out = size;
    const status = zlibDeflate(stream, flush);
    if (status !== Z_OK && status !== Z_STREAM_END && status !== Z_BUF_ERROR) {
      throw new Error(
        `Cannot compress a block of ${input.length} bytes: deflate failed with ${
          stream.msg || `status ${status}`
        }`,
      );
    }
    chunks.push(stream.output.subarray(0, stream.next_out));
    // Output space left over means every byte of input and of the flush
    // has been written.
    if (stream.avail_out !== 0) break;
  }
  // Drop the reference to the caller's input until the next block.
  stream.input = EMPTY;
  return joined(chunks);
}

const EMPTY = new Uint8Array(0);

function joined(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.length;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/** The portable engine; exported for tests that compare the engines. */
export const pakoEngine: DeflateEngine = {
  name: "pako",
  compressBlock: (block, level, final) =>
    deflateRawWith(
      block,
      level,
      final ? Z_FINISH : Z_SYNC_FLUSH,
      BLOCK_OUTPUT_SIZE,
    ),
  compress: (data, level) =>
    deflateRawWith(data, level, Z_FINISH, STREAM_OUTPUT_SIZE),
};
