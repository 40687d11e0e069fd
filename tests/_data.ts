/**
 * Test data shared by the test files: deterministic bytes, chunkings, and
 * reading a stream to the end.
 *
 * @module
 */

import assert from "node:assert/strict";

/** Bytes that look random to deflate, the same for the same seed. */
export function pseudoRandom(
  length: number,
  seed: number,
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** Views of `data` cut into chunks of `sizes`, cycling through the list. */
export function chunked(
  data: Uint8Array<ArrayBuffer>,
  sizes: number | readonly number[],
): Uint8Array<ArrayBuffer>[] {
  const cycle = typeof sizes === "number" ? [sizes] : sizes;
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for (let start = 0, i = 0; start < data.length; i++) {
    const size = cycle[i % cycle.length]!;
    chunks.push(data.subarray(start, start + size));
    start += size;
  }
  return chunks;
}

/** The chunks as an async generator that yields to the event loop between them. */
export async function* asyncChunks(
  chunks: readonly Uint8Array[],
): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    await Promise.resolve();
    yield chunk;
  }
}

/** The chunks joined into one array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(
    chunks.reduce((length, chunk) => length + chunk.length, 0),
  );
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

/** Reads a stream to the end. */
export async function bytesOf(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Asserts that two byte arrays are equal, reporting the first difference:
 * a diff of megabytes of bytes would take more memory than the test.
 */
export function assertSameBytes(
  actual: Uint8Array,
  expected: Uint8Array,
  message = "",
): void {
  let at = 0;
  while (
    at < actual.length && at < expected.length && actual[at] === expected[at]
  ) at++;
  if (at === actual.length && at === expected.length) return;
  assert.fail(
    `${message}: ${actual.length} bytes against ${expected.length}, first difference at byte ${at}`,
  );
}
