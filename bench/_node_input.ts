/**
 * Inputs in the Node.js shapes that archiver and yazl take, as views over
 * the same bytes the web-stream peers read (no copy).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Readable } from "node:stream";

/** A `Buffer` view of `bytes`, sharing their memory. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A Node.js byte stream over `chunks`, one chunk per read, as `fs` gives. */
export function nodeStream(chunks: Iterable<Uint8Array>): Readable {
  return Readable.from(
    (function* () {
      for (const chunk of chunks) yield asBuffer(chunk);
    })(),
    { objectMode: false },
  );
}
